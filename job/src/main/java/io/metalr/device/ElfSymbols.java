package io.metalr.device;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The addresses of named symbols in a 64-bit little-endian ELF shared library's full symbol table
 * ({@code .symtab}, which holds local symbols too: what {@code nm} lists), relative to the library's
 * load address. libtorch keeps that table, so its private oneDNN objects can be found by name in
 * any build rather than at offsets of one binary.
 */
final class ElfSymbols {

    private static final int SHT_SYMTAB = 2;
    private static final int SYMBOL_SIZE = 24;

    private ElfSymbols() {}

    /** The value (address relative to the load base) of each wanted name found; others are absent. */
    static Map<String, Long> find(Path library, Set<String> names) throws IOException {
        Map<String, Long> out = new HashMap<>();
        byte[][] wanted = names.stream().map(n -> n.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
        try (FileChannel ch = FileChannel.open(library, StandardOpenOption.READ)) {
            MappedByteBuffer header = map(ch, 0, 64);
            if (header.getInt(0) != 0x464c457f || header.get(4) != 2 || header.get(5) != 1) {
                throw new IOException(library + " is not a 64-bit little-endian ELF file");
            }
            long shoff = header.getLong(0x28);
            int shentsize = Short.toUnsignedInt(header.getShort(0x3a));
            int shnum = Short.toUnsignedInt(header.getShort(0x3c));
            MappedByteBuffer sections = map(ch, shoff, (long) shentsize * shnum);
            for (int i = 0; i < shnum; i++) {
                int s = i * shentsize;
                if (sections.getInt(s + 4) != SHT_SYMTAB) {
                    continue;
                }
                MappedByteBuffer symbols = map(ch, sections.getLong(s + 0x18), sections.getLong(s + 0x20));
                int strtab = sections.getInt(s + 0x28) * shentsize;
                MappedByteBuffer strings = map(ch, sections.getLong(strtab + 0x18), sections.getLong(strtab + 0x20));
                for (int sym = 0; sym + SYMBOL_SIZE <= symbols.capacity(); sym += SYMBOL_SIZE) {
                    int name = symbols.getInt(sym);
                    for (byte[] w : wanted) {
                        if (nameIs(strings, name, w)) {
                            out.put(new String(w, StandardCharsets.US_ASCII), symbols.getLong(sym + 8));
                        }
                    }
                }
            }
        }
        return out;
    }

    private static boolean nameIs(MappedByteBuffer strings, int at, byte[] name) {
        if (at < 0 || at + name.length >= strings.capacity()) {
            return false;
        }
        for (int k = 0; k < name.length; k++) {
            if (strings.get(at + k) != name[k]) {
                return false;
            }
        }
        return strings.get(at + name.length) == 0;
    }

    private static MappedByteBuffer map(FileChannel ch, long offset, long size) throws IOException {
        if (offset < 0 || size < 0 || size > Integer.MAX_VALUE || offset + size > ch.size()) {
            throw new IOException("ELF section out of the file's bounds (offset " + offset + ", size " + size + ")");
        }
        MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, offset, size);
        b.order(ByteOrder.LITTLE_ENDIAN);
        return b;
    }
}
