package io.procwarden.internal.tree;

import io.procwarden.Signal;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.jail.cgroup.Cgroup;
import io.procwarden.internal.sys.ProcStat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The last rung, without cgroups: this JVM is a child subreaper ({@link Subreaper}), so members
 * that lose their parent are reparented to it instead of init, and the tree is the set of
 * processes found by walking down from the child ({@link DescendantWalk}), each pinned by a
 * pidfd and its start time.
 *
 * <p>Signals go out as one: every member is sent SIGSTOP, the walk is repeated until it finds
 * no new member and every member is stopped (a stopped process cannot fork, so the set is then
 * closed), the signal goes to each through its pidfd, and SIGCONT resumes them (not after
 * SIGKILL, which kills stopped processes). Between signals {@link TreeTracker} keeps the list
 * current. Emptiness is an event: every member's pidfd readable, waited for in one epoll set.
 *
 * <p>Reaping: only members, which were seen born inside the tree, are ever reaped here, and only
 * once the kernel has made them our children (reparented after their parent died): a child this
 * JVM spawned any other way is never touched. The child itself (the root) is reaped by the
 * monitor, as every spawned child.
 *
 * <p>Bounds: a member that cannot stop (uninterruptible sleep, a vfork parent) holds the stop
 * phase for at most {@value #STOP_TIMEOUT_MILLIS} ms, after which the signals go out anyway; a
 * process born and orphaned between two walks is not found (see {@link TreeTracker}); SIGCONT
 * also resumes a member that someone else had stopped.
 */
final class SubreaperTree implements Tree {
    static final long STOP_TIMEOUT_MILLIS = 1000;
    private static final long DESTROY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int SIGKILL = Signal.KILL.number();
    private static final int SIGSTOP = Signal.STOP.number();
    private static final int SIGCONT = Signal.CONT.number();

    private static final class Member {
        final int pid;
        final Fd pidfd;
        final long startTime;
        final boolean root;
        boolean dead;
        boolean stopSent;

        Member(DescendantWalk.Pinned p, boolean root) {
            this.pid = p.pid();
            this.pidfd = p.pidfd();
            this.startTime = p.startTime();
            this.root = root;
        }
    }

    private final int self = Unistd.getpid();
    private final Map<Integer, Member> members = new LinkedHashMap<>(); // guarded by this
    private int rootPid;
    private boolean destroyed; // guarded by this
    private int waiters; // threads in awaitEmpty, whose epoll sets hold member pidfds; guarded by this

    @Override
    public TreeRung rung() {
        return TreeRung.SUBREAPER;
    }

    @Override
    public Optional<Cgroup> cgroup() {
        return Optional.empty();
    }

    @Override
    public synchronized void attach(int pid) throws IOException {
        Subreaper.ensure();
        Fd fd = Pidfd.open(pid);
        try {
            long start = ProcStat.read(pid).map(ProcStat::startTime)
                    .orElseThrow(() -> new IOException("pid " + pid + " vanished while being attached"));
            members.put(pid, new Member(new DescendantWalk.Pinned(pid, fd, start), true));
            rootPid = pid;
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
        TreeTracker.add(this);
    }

    @Override
    public synchronized boolean signalAll(int signal) throws IOException {
        if (destroyed) return false;
        List<Member> living = stopAll();
        IOException failure = null;
        boolean any = false;
        for (Member m : living) {
            try {
                any |= Pidfd.sendSignal(m.pidfd, signal);
            } catch (SyscallException e) {
                if (failure == null) failure = new IOException("cannot signal tree member " + m.pid + ": " + e.getMessage(), e);
            }
        }
        if (signal != SIGKILL && signal != SIGSTOP) {
            for (Member m : living) {
                if (!m.stopSent) continue;
                m.stopSent = false;
                try {
                    Pidfd.sendSignal(m.pidfd, SIGCONT);
                } catch (SyscallException e) {
                    if (failure == null) failure = new IOException("cannot resume tree member " + m.pid + ": " + e.getMessage(), e);
                }
            }
        }
        if (failure != null) throw failure;
        return any;
    }

    /** Stops every member and walks until the set is closed (or the stop phase runs out); returns the living members. */
    private List<Member> stopAll() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS);
        long pause = 10_000;
        while (true) {
            List<Member> living = living();
            for (Member m : living) {
                if (m.stopSent) continue;
                m.stopSent = true;
                try {
                    if (!Pidfd.sendSignal(m.pidfd, SIGSTOP)) m.dead = true;
                } catch (SyscallException e) {
                    throw new IOException("cannot stop tree member " + m.pid + ": " + e.getMessage(), e);
                }
            }
            if (walk()) continue; // new members: stop them before looking again
            living = living();
            if (allStopped(living) || System.nanoTime() > deadline) return living;
            // sleep-ok: a non-child's stop has no event (waitid(WSTOPPED) is for children); bounded.
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 1_000_000);
        }
    }

    private static boolean allStopped(List<Member> living) {
        for (Member m : living) {
            try {
                Optional<ProcStat> st = ProcStat.read(m.pid);
                if (st.isEmpty()) continue; // gone
                char s = st.get().state();
                if (s != 'T' && s != 't' && !st.get().hasExited()) return false;
            } catch (UncheckedIOException e) {
                return false;
            }
        }
        return true;
    }

    /** Marks the dead and returns the living members. */
    private List<Member> living() throws IOException {
        List<Member> out = new ArrayList<>();
        for (Member m : members.values()) {
            if (!m.dead && exited(m)) m.dead = true;
            if (!m.dead) out.add(m);
        }
        return out;
    }

    private static boolean exited(Member m) throws IOException {
        try {
            return Pidfd.hasExited(m.pidfd);
        } catch (SyscallException e) {
            throw new IOException("cannot poll the pidfd of tree member " + m.pid + ": " + e.getMessage(), e);
        }
    }

    /** Pins the children of every living member that are not members yet, theirs too; true if any was new. */
    private boolean walk() throws IOException {
        boolean grew = false;
        java.util.ArrayDeque<Member> todo = new java.util.ArrayDeque<>(living());
        while (!todo.isEmpty()) {
            Member parent = todo.poll();
            for (int c : DescendantWalk.children(parent.pid)) {
                Member known = members.get(c);
                if (known != null && !(known.dead && known.startTime != startTimeOf(c))) continue;
                DescendantWalk.Pinned p = DescendantWalk.pin(c, parent.pid, parent.pidfd);
                if (p == null) continue;
                if (known != null) forget(known); // a dead member's pid, reused inside the tree
                Member m = new Member(p, false);
                members.put(c, m);
                if (exited(m)) {
                    m.dead = true; // a zombie: nothing to walk or signal, only to reap once it is ours
                } else {
                    todo.add(m);
                    grew = true;
                }
            }
        }
        return grew;
    }

    private static long startTimeOf(int pid) {
        try {
            return ProcStat.read(pid).map(ProcStat::startTime).orElse(-1L);
        } catch (UncheckedIOException e) {
            return -1;
        }
    }

    /**
     * Reaps dead members that are now our children and forgets those someone else reaped. A
     * dead member still listed under its (live) parent is left for that parent.
     */
    private void reapAdopted() throws IOException {
        for (Iterator<Member> it = members.values().iterator(); it.hasNext(); ) {
            Member m = it.next();
            if (!m.dead || m.root) continue;
            Optional<ProcStat> st;
            try {
                st = ProcStat.read(m.pid);
            } catch (UncheckedIOException e) {
                continue; // try again on the next walk
            }
            if (st.isPresent() && st.get().startTime() == m.startTime && st.get().hasExited()) {
                if (st.get().ppid() != self) continue; // a zombie of a live member: its parent reaps it
                try {
                    Wait.waitidPidfd(m.pidfd, Wait.WNOHANG);
                } catch (SyscallException e) {
                    if (e.errno() != Errno.ECHILD) {
                        throw new IOException("cannot reap adopted tree member " + m.pid + ": " + e.getMessage(), e);
                    }
                }
            }
            // reaped now, or earlier by someone (its pid is free or reused): nothing left to do for it
            m.pidfd.close();
            it.remove();
        }
    }

    private void forget(Member m) {
        m.pidfd.close();
        members.remove(m.pid, m);
    }

    /** One walk between signals ({@link TreeTracker}). */
    synchronized void track() throws IOException {
        if (destroyed) return;
        walk();
        if (waiters == 0) reapAdopted(); // else the waiter does, once its epoll set is closed
    }

    @Override
    public boolean awaitEmpty(long deadlineNanos) throws IOException {
        synchronized (this) {
            waiters++;
        }
        boolean empty = false;
        try {
            empty = awaitLiving(deadlineNanos);
        } finally {
            synchronized (this) {
                waiters--;
                // after the epoll set is closed: a pidfd is closed only once out of it
                if (empty && !destroyed) reapAdopted();
            }
        }
        return empty;
    }

    /** Waits until every member's pidfd is readable, re-walking after each exit. */
    private boolean awaitLiving(long deadlineNanos) throws IOException {
        Map<Long, Member> armed = new HashMap<>();
        long keys = 0;
        try (Fd epoll = Epoll.create(); Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Epoll.EVENT, 16);
            Set<Member> added = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            while (true) {
                synchronized (this) {
                    if (destroyed) return true;
                    walk();
                    List<Member> living = living();
                    if (living.isEmpty()) return true;
                    for (Member m : living) {
                        if (!added.add(m)) continue;
                        armed.put(++keys, m);
                        Epoll.ctl(epoll, Epoll.EPOLL_CTL_ADD, m.pidfd, Epoll.EPOLLIN, keys);
                    }
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) return false;
                int n = Epoll.await(epoll, events, 16, (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left) + 1));
                synchronized (this) {
                    for (int i = 0; i < n; i++) {
                        Member m = armed.remove(Epoll.dataAt(events, i));
                        if (m == null) continue;
                        m.dead = true;
                        Epoll.ctl(epoll, Epoll.EPOLL_CTL_DEL, m.pidfd, 0, 0); // level-triggered: once is enough
                    }
                }
            }
        } catch (SyscallException e) {
            throw new IOException("cannot wait for the tree of pid " + rootPid + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<Integer> members() throws IOException {
        if (!destroyed) walk();
        List<Integer> pids = new ArrayList<>();
        for (Member m : living()) pids.add(m.pid);
        return pids;
    }

    @Override
    public void destroy() throws IOException {
        synchronized (this) {
            if (destroyed) return;
        }
        IOException failure = null;
        boolean empty = false;
        try {
            signalAll(SIGKILL);
        } catch (IOException e) {
            failure = e;
        }
        try {
            empty = awaitEmpty(System.nanoTime() + DESTROY_TIMEOUT_NANOS);
        } catch (IOException e) {
            if (failure == null) failure = e;
            else failure.addSuppressed(e);
        }
        List<Integer> left;
        synchronized (this) {
            left = members();
            TreeTracker.remove(this);
            for (Member m : members.values()) m.pidfd.close();
            members.clear();
            destroyed = true;
        }
        if (failure == null && !empty) failure = new IOException(describe() + ": members still alive after SIGKILL: " + left);
        if (failure != null) throw failure;
    }

    @Override
    public String describe() {
        return "subreaper tree of pid " + rootPid;
    }

    @Override
    public String toString() {
        return "SubreaperTree[" + describe() + "]";
    }
}
