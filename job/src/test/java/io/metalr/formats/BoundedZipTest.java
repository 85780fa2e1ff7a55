package io.metalr.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** The one bounded zip reader of the data and the model readers. */
class BoundedZipTest {

    private static final BoundedZip.Limits LIMITS = new BoundedZip.Limits(1 << 20, "the test's cap", 0);

    /** "a" stored, "b" deflated (with a data descriptor, as a stream writes it). */
    private static byte[] zip(byte[] a, byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            ZipEntry stored = new ZipEntry("a");
            CRC32 crc = new CRC32();
            crc.update(a);
            stored.setMethod(ZipEntry.STORED);
            stored.setSize(a.length);
            stored.setCrc(crc.getValue());
            z.putNextEntry(stored);
            z.write(a);
            z.putNextEntry(new ZipEntry("b"));
            z.write(b);
        }
        return out.toByteArray();
    }

    private static BoundedZip open(byte[] file, BoundedZip.Limits limits) {
        return BoundedZip.open(file, "f.zip", "test archive", name -> "f.zip entry " + name, limits);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void readsStoredAndDeflatedEntries() throws IOException {
        byte[] b = new byte[100_000]; // zeros: 1000:1
        BoundedZip z = open(zip("hello".getBytes(), b), LIMITS);
        assertEquals(List.of("a", "b"), List.copyOf(z.entries().keySet()));
        assertArrayEquals("hello".getBytes(), bytes(z.read(z.entries().get("a"))));
        assertArrayEquals(b, bytes(z.read(z.entries().get("b"))));
    }

    @Test
    void refusesNamingFileOrEntry() throws IOException {
        byte[] file = zip("hello".getBytes(), new byte[100_000]);
        // over the caller's cap: refused before it is inflated
        BoundedZip capped = open(file, new BoundedZip.Limits(1000, "the test's cap", 0));
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> capped.read(capped.entries().get("b")));
        assertTrue(e.getMessage().contains("f.zip entry b") && e.getMessage().contains("the test's cap"), e.getMessage());
        // a flipped byte of the stored entry fails its CRC
        byte[] flipped = file.clone();
        flipped[30 + 1 + 4] ^= 1; // local header, name "a", last byte of "hello"
        BoundedZip z = open(flipped, LIMITS);
        e = assertThrows(MalformedFileException.class, () -> z.read(z.entries().get("a")));
        assertTrue(e.getMessage().contains("f.zip entry a") && e.getMessage().contains("CRC"), e.getMessage());
        // cut short: no end record
        e = assertThrows(MalformedFileException.class, () -> open(java.util.Arrays.copyOf(file, file.length / 2), LIMITS));
        assertTrue(e.getMessage().startsWith("f.zip: truncated"), e.getMessage());
        e = assertThrows(MalformedFileException.class, () -> open(new byte[0], LIMITS));
        assertTrue(e.getMessage().contains("not a test archive"), e.getMessage());
    }
}
