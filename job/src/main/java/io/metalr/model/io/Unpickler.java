package io.metalr.model.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader that builds plain Java values and never runs anything.
 *
 * <p>Python's unpickler imports and calls whatever the stream names; that is how a malicious
 * {@code .pt} file runs code. Here a name (GLOBAL / STACK_GLOBAL) is handed to a {@link Resolver}
 * that either returns a value this class knows how to use ({@link Callable} for REDUCE,
 * {@link ClassRef} for NEWOBJ) or throws. So the set of things a file can ask for is exactly the
 * resolver's whitelist.
 *
 * <p>Values: None is {@code null}, bool {@link Boolean}, int {@link Long} (or {@link BigInteger}
 * when it does not fit), float {@link Double}, str {@link String}, bytes {@code byte[]}, list a
 * mutable {@link ArrayList}, tuple an unmodifiable {@link List}, dict a {@link LinkedHashMap}
 * (insertion order is file order), objects {@link PickledObject}.
 *
 * <p>Opcodes: the binary ones of protocols 2 to 5 that torch and Python's pickler emit for
 * such data. Text opcodes of protocol 0, sets and out-of-band buffers are refused.
 */
final class Unpickler {

    /** Maps the names a pickle refers to onto whitelisted values; throws for anything else. */
    interface Resolver {
        Object global(String module, String name) throws IOException;

        Object persistentLoad(Object pid) throws IOException;
    }

    /** A whitelisted global that REDUCE may apply; it only builds a value from its arguments. */
    @FunctionalInterface
    interface Callable {
        Object call(List<Object> args) throws IOException;
    }

    /** A class that NEWOBJ may instantiate as an empty {@link PickledObject} (no code runs). */
    record ClassRef(String name) {
    }

    /** An instance made by NEWOBJ; BUILD stores its state (a dict of attributes for torch modules). */
    static final class PickledObject {
        final String className;
        Object state;

        PickledObject(String className) {
            this.className = className;
        }

        @Override
        public String toString() {
            return "<" + className + ">";
        }
    }

    private final byte[] data;
    private final String source;
    private final Resolver resolver;
    private int pos;
    private int opStart;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();

    /** @param source names the file (and entry) in every error message */
    Unpickler(byte[] data, String source, Resolver resolver) {
        this.data = data;
        this.source = source;
        this.resolver = resolver;
    }

    /** Runs the opcodes up to STOP and returns the top of the stack. */
    Object load() throws IOException {
        while (true) {
            opStart = pos;
            int op = u1();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u1();
                    if (proto > 5) {
                        throw error("unsupported pickle protocol " + proto);
                    }
                }
                case 0x95 -> skip(8); // FRAME: only a length hint, the whole pickle is in memory
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw error("STOP with " + stack.size() + " values on the stack");
                    }
                    return stack.get(0);
                }
                case '(' -> marks.push(stack.size()); // MARK
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) i4()); // BININT
                case 'K' -> push((long) u1()); // BININT1
                case 'M' -> push((long) u2()); // BININT2
                case 0x8a -> push(longFromBytes(bytes(u1()))); // LONG1
                case 0x8b -> push(longFromBytes(bytes(length(i4())))); // LONG4
                case 'G' -> push(Double.longBitsToDouble(be8())); // BINFLOAT is big-endian
                case 'X' -> push(utf8(length(u4()))); // BINUNICODE
                case 0x8c -> push(utf8(u1())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(length(le8()))); // BINUNICODE8
                case 'T' -> push(latin1(length(i4()))); // BINSTRING (Python 2 str)
                case 'U' -> push(latin1(u1())); // SHORT_BINSTRING
                case 'B' -> push(bytes(length(u4()))); // BINBYTES
                case 'C' -> push(bytes(u1())); // SHORT_BINBYTES
                case 0x8e -> push(bytes(length(le8()))); // BINBYTES8
                case '}' -> push(new LinkedHashMap<Object, Object>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<Object>()); // EMPTY_LIST
                case ')' -> push(tuple(List.of())); // EMPTY_TUPLE
                case 't' -> push(tuple(popMark())); // TUPLE
                case 0x85 -> push(tuple(popN(1))); // TUPLE1
                case 0x86 -> push(tuple(popN(2))); // TUPLE2
                case 0x87 -> push(tuple(popN(3))); // TUPLE3
                case 'l' -> push(new ArrayList<>(popMark())); // LIST
                case 'd' -> { // DICT
                    Map<Object, Object> dict = new LinkedHashMap<>();
                    putPairs(dict, popMark());
                    push(dict);
                }
                case 'a' -> { // APPEND
                    Object value = pop();
                    asList(peek()).add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    asList(peek()).addAll(items);
                }
                case 's' -> { // SETITEM
                    Object value = pop();
                    Object key = hashable(pop());
                    asDict(peek()).put(key, value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    putPairs(asDict(peek()), items);
                }
                case 'c' -> push(resolver.global(line(), line())); // GLOBAL "module\nname\n"
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL needs two strings");
                    }
                    push(resolver.global(m, n));
                }
                case 'Q' -> push(resolver.persistentLoad(pop())); // BINPERSID
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object fn = pop();
                    push(call(fn, args));
                }
                case 0x81 -> { // NEWOBJ
                    pop(); // the args of __new__; torch passes () and they carry no state
                    push(newObject(pop()));
                }
                case 0x92 -> { // NEWOBJ_EX
                    pop();
                    pop();
                    push(newObject(pop()));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    build(peek(), state);
                }
                case 'q' -> memo.put((long) u1(), peek()); // BINPUT
                case 'r' -> memo.put(u4(), peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(u1())); // BINGET
                case 'j' -> push(memoGet(u4())); // LONG_BINGET
                default -> throw error(String.format("unsupported pickle opcode 0x%02x", op));
            }
        }
    }

    private Object call(Object fn, Object args) throws IOException {
        if (!(fn instanceof Callable callable)) {
            throw error("REDUCE on " + describe(fn) + ", which is not a whitelisted function");
        }
        if (!(args instanceof List<?> list)) {
            throw error("REDUCE arguments are " + describe(args) + ", not a tuple");
        }
        @SuppressWarnings("unchecked")
        List<Object> argList = (List<Object>) list;
        return callable.call(argList);
    }

    private Object newObject(Object cls) throws IOException {
        if (!(cls instanceof ClassRef ref)) {
            throw error("NEWOBJ on " + describe(cls) + ", which is not a whitelisted class");
        }
        return new PickledObject(ref.name());
    }

    private void build(Object target, Object state) throws IOException {
        if (target instanceof PickledObject obj) {
            obj.state = state;
        } else if (target instanceof Map<?, ?>) {
            // An OrderedDict subclass with attributes: torch's state dicts carry `_metadata`
            // (module versions) this way. Attributes are not entries, so they are dropped.
        } else {
            throw error("BUILD on " + describe(target));
        }
    }

    private void putPairs(Map<Object, Object> dict, List<Object> items) throws IOException {
        if (items.size() % 2 != 0) {
            throw error("odd number of items for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            dict.put(hashable(items.get(i)), items.get(i + 1));
        }
    }

    private Object hashable(Object key) throws IOException {
        if (!isFlatKey(key)) {
            throw error("unhashable dict key " + describe(key));
        }
        return key;
    }

    /**
     * A dict key that can be hashed in bounded time: a scalar, or a tuple of scalars. Lists and
     * dicts are unhashable in Python too; here hashing a list that holds itself (a crafted
     * pickle) would recurse until the stack overflows, and so would a tuple nested a million
     * deep, while tuples sharing tuples through the memo take exponential time. Torch's dicts
     * are keyed by strings and ints.
     */
    static boolean isFlatKey(Object key) {
        if (key instanceof ArrayList<?> || key instanceof Map<?, ?>) {
            return false;
        }
        if (key instanceof List<?> tuple) {
            for (Object element : tuple) {
                if (element instanceof List<?> || element instanceof Map<?, ?>) {
                    return false;
                }
            }
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private List<Object> asList(Object o) throws IOException {
        if (o instanceof ArrayList<?> list) {
            return (List<Object>) list;
        }
        throw error("APPEND to " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> asDict(Object o) throws IOException {
        if (o instanceof Map<?, ?> map) {
            return (Map<Object, Object>) map;
        }
        throw error("SETITEM on " + describe(o));
    }

    private Object memoGet(long index) throws IOException {
        if (!memo.containsKey(index)) {
            throw error("memo entry " + index + " read before it was written");
        }
        return memo.get(index);
    }

    // ---- stack ----

    private void push(Object o) {
        stack.add(o);
    }

    private Object peek() throws IOException {
        if (stack.size() <= floor()) {
            throw error("stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private Object pop() throws IOException {
        if (stack.size() <= floor()) {
            throw error("stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    /** Values below the innermost MARK belong to an outer construct and must not be popped. */
    private int floor() {
        return marks.isEmpty() ? 0 : marks.peek();
    }

    private List<Object> popN(int n) throws IOException {
        if (stack.size() - floor() < n) {
            throw error("stack underflow");
        }
        List<Object> sub = stack.subList(stack.size() - n, stack.size());
        List<Object> items = new ArrayList<>(sub);
        sub.clear();
        return items;
    }

    private List<Object> popMark() throws IOException {
        if (marks.isEmpty()) {
            throw error("no MARK on the stack");
        }
        int start = marks.pop();
        List<Object> sub = stack.subList(start, stack.size());
        List<Object> items = new ArrayList<>(sub);
        sub.clear();
        return items;
    }

    /** Tuples are immutable in Python; List.copyOf would reject None, so wrap a copy instead. */
    private static List<Object> tuple(List<Object> items) {
        return Collections.unmodifiableList(new ArrayList<>(items));
    }

    // ---- bytes ----

    private void need(long n) throws IOException {
        if (n < 0 || n > data.length - pos) {
            throw error("truncated pickle");
        }
    }

    private void skip(int n) throws IOException {
        need(n);
        pos += n;
    }

    private int u1() throws IOException {
        need(1);
        return data[pos++] & 0xff;
    }

    private int u2() throws IOException {
        need(2);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private int i4() throws IOException {
        need(4);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16
                | (data[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    private long u4() throws IOException {
        return i4() & 0xffffffffL;
    }

    private long le8() throws IOException {
        long lo = u4();
        long hi = u4();
        return lo | hi << 32;
    }

    private long be8() throws IOException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (data[pos++] & 0xff);
        }
        return v;
    }

    /** A length field checked against what is left, so a bad length cannot allocate gigabytes. */
    private int length(long n) throws IOException {
        need(n);
        return (int) n;
    }

    private byte[] bytes(int n) throws IOException {
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(data, pos, out, 0, n);
        pos += n;
        return out;
    }

    private String utf8(int n) throws IOException {
        need(n);
        String s = new String(data, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    private String latin1(int n) throws IOException {
        need(n);
        String s = new String(data, pos, n, StandardCharsets.ISO_8859_1);
        pos += n;
        return s;
    }

    private String line() throws IOException {
        int start = pos;
        while (pos < data.length && data[pos] != '\n') {
            pos++;
        }
        if (pos >= data.length) {
            throw error("truncated pickle");
        }
        return new String(data, start, pos++ - start, StandardCharsets.UTF_8);
    }

    /** Pickle longs are little-endian two's complement of any width. */
    private static Object longFromBytes(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    /** The kind of a value, for messages: never its contents, which may be nested or shared without end. */
    static String describe(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof ClassRef c) {
            return "class " + c.name();
        }
        return o instanceof PickledObject ? o.toString() : o.getClass().getSimpleName();
    }

    /** A malformed pickle is a bad model file (exit code 3), not an infrastructure failure. */
    private IOException error(String message) {
        return new io.metalr.model.BadModelException(source + ": " + message + " (at pickle offset " + opStart + ")");
    }
}
