package io.procwarden.internal.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lines out of buffers cut anywhere: inside a character, inside a CRLF, with no final newline. */
class LineSplitterTest {

    private static List<String> split(int chunk, int maxChars, byte[] bytes) {
        LineSplitter s = new LineSplitter(StandardCharsets.UTF_8, maxChars);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += chunk) {
            out.addAll(s.feed(ByteBuffer.wrap(bytes, i, Math.min(chunk, bytes.length - i))));
        }
        out.addAll(s.finish());
        return out;
    }

    @Test
    void everyCutGivesTheSameLines() {
        byte[] text = "a\r\nété\n\nz€\nlast".getBytes(StandardCharsets.UTF_8);
        for (int chunk = 1; chunk <= text.length; chunk++) {
            assertThat(split(chunk, 100, text)).as("chunk %d", chunk).containsExactly("a", "été", "", "z€", "last");
        }
    }

    @Test
    void aLongLineComesInPiecesAndMalformedBytesAreReplaced() {
        assertThat(split(3, 4, "abcdefghij\n".getBytes(StandardCharsets.UTF_8))).containsExactly("abcd", "efgh", "ij");
        assertThat(split(1, 100, new byte[] {'x', (byte) 0xff, '\n', (byte) 0xc3})).containsExactly("x\ufffd", "\ufffd");
    }
}
