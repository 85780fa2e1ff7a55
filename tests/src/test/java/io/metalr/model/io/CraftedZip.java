package io.metalr.model.io;

import io.metalr.Compress;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes zip archives byte by byte, with whatever sizes, CRCs and zip64 fields a test wants to
 * declare, true or not: the files a zip library would never write.
 */
final class CraftedZip {

    /**
     * One entry: the bytes as they sit in the file, and what the central directory declares.
     * With {@code zip64} set, the 32-bit size fields are 0xffffffff and the declared sizes go
     * into a zip64 extra field (size, then compressed size).
     */
    record Entry(String name, byte[] inFile, int method, long size, long compressedSize, long crc, boolean zip64) {

        Entry declaring(long newSize, long newCompressedSize) {
            return new Entry(name, inFile, method, newSize, newCompressedSize, crc, zip64);
        }

        Entry declaringSize(long newSize) {
            return declaring(newSize, compressedSize);
        }

        Entry asZip64() {
            return new Entry(name, inFile, method, size, compressedSize, crc, true);
        }

        Entry withCrc(long newCrc) {
            return new Entry(name, inFile, method, size, compressedSize, newCrc, zip64);
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private boolean zip64End;
    private long zip64EndOffset = -1;

    static Entry stored(String name, byte[] data) {
        return new Entry(name, data, 0, data.length, data.length, crc(data), false);
    }

    static Entry deflated(String name, byte[] data) {
        byte[] packed = Compress.deflate(data);
        return new Entry(name, packed, 8, data.length, packed.length, crc(data), false);
    }

    static long crc(byte[] data) {
        CRC32 c = new CRC32();
        c.update(data);
        return c.getValue();
    }

    CraftedZip add(Entry e) {
        entries.add(e);
        return this;
    }

    /** Ends with a zip64 end record and locator (the classic end record's fields then read 0xffff...). */
    CraftedZip withZip64End() {
        zip64End = true;
        return this;
    }

    /** Like {@link #withZip64End()}, but the locator points at {@code offset}. */
    CraftedZip withZip64EndAt(long offset) {
        zip64End = true;
        zip64EndOffset = offset;
        return this;
    }

    byte[] bytes() {
        int room = 256;
        for (Entry e : entries) {
            room += e.inFile().length + 2 * e.name().length() * 4 + 256;
        }
        ByteBuffer b = ByteBuffer.allocate(room).order(ByteOrder.LITTLE_ENDIAN);
        List<Integer> offsets = new ArrayList<>();
        for (Entry e : entries) {
            offsets.add(b.position());
            byte[] name = e.name().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            b.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) e.method())
                    .putInt(0).putInt((int) e.crc()).putInt((int) e.compressedSize()).putInt((int) e.size())
                    .putShort((short) name.length).putShort((short) 0).put(name).put(e.inFile());
        }
        int cdStart = b.position();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            byte[] name = e.name().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int extra = e.zip64() ? 20 : 0;
            b.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0)
                    .putShort((short) e.method()).putInt(0).putInt((int) e.crc())
                    .putInt(e.zip64() ? -1 : (int) e.compressedSize()).putInt(e.zip64() ? -1 : (int) e.size())
                    .putShort((short) name.length).putShort((short) extra).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(0).putInt(offsets.get(i)).put(name);
            if (e.zip64()) {
                b.putShort((short) 1).putShort((short) 16).putLong(e.size()).putLong(e.compressedSize());
            }
        }
        int cdEnd = b.position();
        if (zip64End) {
            int at = b.position();
            b.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                    .putLong(entries.size()).putLong(entries.size()).putLong(cdEnd - cdStart).putLong(cdStart);
            b.putInt(0x07064b50).putInt(0).putLong(zip64EndOffset >= 0 ? zip64EndOffset : at).putInt(1);
        }
        b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                .putShort((short) (zip64End ? 0xffff : entries.size())).putShort((short) (zip64End ? 0xffff : entries.size()))
                .putInt(cdEnd - cdStart).putInt(zip64End ? -1 : cdStart).putShort((short) 0);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }
}
