package io.metalr.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** The one {@code .npy} parser of the data and the model readers. */
class NpyFormatTest {

    private static final Set<String> ALL = Set.of("u1", "b1", "i1", "i2", "u2", "i4", "i8", "f2", "f4", "f8");

    static byte[] npy(String dict, byte[] data) {
        byte[] header = (dict + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                .putShort((short) header.length).put(header).put(data);
        return b.array();
    }

    private static MalformedFileException refused(String dict, int dataBytes) {
        return assertThrows(MalformedFileException.class,
                () -> NpyFormat.parse(ByteBuffer.wrap(npy(dict, new byte[dataBytes])), "f.npy", ALL, "any"));
    }

    @Test
    void readsShapeDtypeAndByteOrder() {
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putShort((short) -2).putShort((short) 3)
                .putShort((short) 4).putShort((short) 5).array();
        NpyArray a = NpyFormat.parse(ByteBuffer.wrap(npy("{'descr': '>i2', 'fortran_order': False, 'shape': (2, 2), }", data)),
                "f.npy", ALL, "any");
        assertEquals("i2", a.dtype());
        assertArrayEquals(new long[] {2, 2}, a.shape());
        assertEquals("(2, 2)", a.shapeString());
        assertEquals(-2.0, a.getDouble(0));
        assertEquals(5.0, a.getDouble(3));
        assertEquals("b1", NpyFormat.parse(ByteBuffer.wrap(npy("{'descr': '|?', 'fortran_order': False, 'shape': (), }",
                new byte[1])), "f.npy", ALL, "any").dtype());
    }

    @Test
    void refusesWhatItCannotHoldNamingTheFile() {
        String[][] cases = {
            {"{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952, 1, 1), }", "more bytes than a file can hold"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", "more bytes than a file can hold"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", "negative"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", "truncated .npy data"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", "corrupt .npy data"},
            {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran"},
            {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", "'<c8' is not supported (any)"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, ".repeat(65) + "), }", "more than 64 dimensions"},
            {"{'descr': '<f4', 'fortran_order': False, }", "'shape'"},
        };
        for (String[] c : cases) {
            MalformedFileException e = refused(c[0], 16);
            assertTrue(e.getMessage().startsWith("f.npy: ") && e.getMessage().contains(c[1]), e.getMessage());
        }
    }
}
