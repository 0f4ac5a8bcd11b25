package io.procwarden.internal.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a byte stream that arrives in arbitrary buffers into lines: decoded incrementally (a
 * character split across two buffers is kept whole), malformed input replaced, a line ends at
 * {@code '\n'} and loses a {@code '\r'} before it. A line longer than {@code maxChars} is given
 * in pieces of that length, so a child that never writes a newline cannot exhaust the heap.
 * One user at a time.
 */
public final class LineSplitter {
    private final CharsetDecoder decoder;
    private final int maxChars;
    private final StringBuilder line = new StringBuilder();
    private final CharBuffer chars = CharBuffer.allocate(8192);
    private ByteBuffer leftover = ByteBuffer.allocate(0);

    public LineSplitter(Charset charset, int maxChars) {
        if (maxChars < 1) throw new IllegalArgumentException("maxChars < 1: " + maxChars);
        this.decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        this.maxChars = maxChars;
    }

    /** The complete lines {@code bytes} finishes; the rest waits for the next call. Consumes {@code bytes}. */
    public List<String> feed(ByteBuffer bytes) {
        List<String> out = new ArrayList<>();
        ByteBuffer in = join(bytes);
        while (true) {
            chars.clear();
            var result = decoder.decode(in, chars, false);
            chars.flip();
            take(out);
            if (result.isUnderflow()) break;
        }
        leftover = in.hasRemaining() ? ByteBuffer.allocate(in.remaining()).put(in).flip() : ByteBuffer.allocate(0);
        return out;
    }

    /** At end of stream: the last line if it had no terminator (and any bytes that did not decode). */
    public List<String> finish() {
        List<String> out = new ArrayList<>();
        chars.clear();
        decoder.decode(leftover, chars, true);
        decoder.flush(chars);
        chars.flip();
        take(out);
        if (!line.isEmpty()) out.add(line.toString());
        line.setLength(0);
        return out;
    }

    private ByteBuffer join(ByteBuffer bytes) {
        if (!leftover.hasRemaining()) return bytes;
        ByteBuffer b = ByteBuffer.allocate(leftover.remaining() + bytes.remaining());
        b.put(leftover).put(bytes).flip();
        return b;
    }

    private void take(List<String> out) {
        while (chars.hasRemaining()) {
            char c = chars.get();
            if (c == '\n') {
                int n = line.length();
                if (n > 0 && line.charAt(n - 1) == '\r') line.setLength(n - 1);
                out.add(line.toString());
                line.setLength(0);
            } else {
                line.append(c);
                if (line.length() >= maxChars) {
                    out.add(line.toString());
                    line.setLength(0);
                }
            }
        }
    }
}
