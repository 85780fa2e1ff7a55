package io.metalr.model.io;

import static io.metalr.model.io.CraftedTorchFilesTest.refused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import io.metalr.model.BadModelException;
import io.metalr.model.WeightFiles;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The .ndlist, .npz and .safetensors readers: what DJL's encoder writes reads back value for
 * value, in every dtype; files declaring more than they hold are bad models, refused before
 * the declared sizes are allocated.
 */
class WeightFormatsTest {

    enum Format {
        ND_LIST("w.ndlist", NDList.Encoding.ND_LIST),
        NPZ("w.npz", NDList.Encoding.NPZ),
        SAFETENSORS("w.safetensors", NDList.Encoding.SAFETENSORS);

        final String file;
        final NDList.Encoding encoding;

        Format(String file, NDList.Encoding encoding) {
            this.file = file;
            this.encoding = encoding;
        }
    }

    private static final float[] FLOATS = {1f, -2.5f, 0.375f, 65504f, -0f, 0x1p-10f}; // exact in float16

    @BeforeAll
    static void warmUp() throws IOException {
        for (Format f : Format.values()) {
            WeightFiles.read(new ByteArrayInputStream(djl(f, List.of("f32"))), f.file);
        }
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void everyDtypeRoundTripsThroughDjlsEncoder(Format format) throws IOException {
        List<String> names = List.of("f32", "f64", "f16", "i64", "i32", "i8", "u8", "bool");
        LinkedHashMap<String, TensorData> read = WeightFiles.read(new ByteArrayInputStream(djl(format, names)), format.file);
        assertEquals(names, new ArrayList<>(read.keySet()), "names in file order");
        for (String n : List.of("f32", "f64", "f16")) {
            TensorData t = read.get(n);
            assertArrayEquals(new long[] {2, 3}, t.shape(), n);
            assertArrayEquals(FLOATS, t.floats(), n);
            assertNull(t.longs(), n);
        }
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(read.get("f16").floats()[4]));
        assertArrayEquals(new long[] {Long.MIN_VALUE, -1, 0, 1L << 40, Long.MAX_VALUE, 7}, read.get("i64").longs());
        assertArrayEquals(new long[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE, 7}, read.get("i32").longs());
        assertArrayEquals(new long[] {-128, -1, 0, 1, 127, 7}, read.get("i8").longs());
        assertArrayEquals(new long[] {0, 1, 127, 128, 255, 7}, read.get("u8").longs(), "uint8 is unsigned");
        assertArrayEquals(new long[] {1, 0, 1, 1, 0, 0}, read.get("bool").longs());
        assertEquals("float16", read.get("f16").dtype());
        assertEquals("int8", read.get("i8").dtype());
        assertArrayEquals(new long[] {6}, read.get("i64").shape());
    }

    @Test
    void handWrittenSafetensorsWithBfloat16AndAScalarReads() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(4 + 2 * 3).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(42f); // scalar F32 at [0, 4)
        for (float f : new float[] {1f, -3.140625f, 256f}) { // BF16 at [4, 10): the top half of a float32
            data.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
        }
        byte[] file = safetensors("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[4,10]},"
                + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", data.array());
        LinkedHashMap<String, TensorData> read = WeightFiles.read(new ByteArrayInputStream(file), "hand.safetensors");
        assertEquals(List.of("s", "b"), new ArrayList<>(read.keySet()), "in the order of their data");
        assertArrayEquals(new float[] {42f}, read.get("s").floats());
        assertArrayEquals(new long[0], read.get("s").shape());
        assertArrayEquals(new float[] {1f, -3.140625f, 256f}, read.get("b").floats());
    }

    // ---------------------------------------------------------------- .ndlist

    @Test
    void ndListDeclaringMoreThanItHoldsIsRefused() throws IOException {
        // rank 2^31-1: DJL allocates a long[] of that many dimensions
        refused(ndList(out -> {
            out.writeInt(Integer.MAX_VALUE);
        }), "rank.ndlist");
        // 1 GB of data declared in a file of a hundred bytes
        BadModelException e = refused(ndList(out -> {
            out.writeInt(1);
            out.writeLong(1L << 28);
            out.writeInt(0);
            out.writeByte('<');
            out.writeInt(1 << 30);
            out.write(new byte[16]);
        }), "length.ndlist");
        assertTrue(e.getMessage().contains("'w'"), "names the tensor: " + e.getMessage());
        // a shape whose product overflows, and one that does not match the data
        refused(ndList(out -> {
            out.writeInt(2);
            out.writeLong(1L << 40);
            out.writeLong(1L << 40);
            out.writeInt(0);
            out.writeByte('<');
            out.writeInt(0);
        }), "overflow.ndlist");
        refused(ndList(out -> {
            out.writeInt(1);
            out.writeLong(5);
            out.writeInt(0);
            out.writeByte('<');
            out.writeInt(8);
            out.write(new byte[8]);
        }), "short.ndlist");
        // a negative layout length, and a count of arrays the file does not have
        refused(ndList(out -> {
            out.writeInt(0);
            out.writeInt(-7);
        }), "layout.ndlist");
        byte[] one = ndList(out -> {
            out.writeInt(1);
            out.writeLong(1);
            out.writeInt(0);
            out.writeByte('<');
            out.writeInt(4);
            out.write(new byte[4]);
        });
        ByteBuffer.wrap(one).putInt(0, Integer.MAX_VALUE);
        refused(one, "count.ndlist");
    }

    // ---------------------------------------------------------------- .safetensors

    @Test
    void safetensorsDeclaringMoreThanItHoldsIsRefused() throws IOException {
        byte[] huge = new byte[64];
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 62);
        huge[8] = '{';
        refused(huge, "header.safetensors");
        String[] headers = {
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1073741824],\"data_offsets\":[0,4294967296]}}", // past the data
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1073741824],\"data_offsets\":[0,16]}}", // shape vs bytes
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,16]}}", // overflow
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,1e3]}}",
                "{\"w\":{\"dtype\":\"C64\",\"shape\":[2],\"data_offsets\":[0,16]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                "{\"w\":",
                "[1, 2]",
        };
        for (int i = 0; i < headers.length; i++) {
            BadModelException e = refused(safetensors(headers[i], new byte[16]), "case" + i + ".safetensors");
            assertTrue(!headers[i].startsWith("{\"w\":{") || e.getMessage().contains("'w'"),
                    "names the tensor: " + e.getMessage());
        }
    }

    @Test
    void safetensorsWhoseTensorsShareBytesIsRefused() throws IOException {
        // 2000 tensors, each all of the same 16 KB: 32 MB of values from a 150 KB file
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i < 2000; i++) {
            h.append(i > 0 ? "," : "").append("\"w").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[4096],\"data_offsets\":[0,16384]}");
        }
        BadModelException e = refused(safetensors(h.append('}').toString(), new byte[16384]), "shared.safetensors");
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    // ---------------------------------------------------------------- .npz

    @Test
    void npzDeclaringMoreThanItHoldsIsRefused() throws IOException {
        // the shape of issue 11: (2^61, 1, 1) float32 over a few bytes
        refused(npz("w", "{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693952, 1, 1), }", new byte[16], false),
                "wrap.npz");
        refused(npz("w", "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", new byte[16], false), "short.npz");
        refused(npz("w", "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", new byte[16], false), "complex.npz");
        refused(npz("w", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16], false), "fortran.npz");
        // a deflated entry whose directory declares 2 GB once inflated
        byte[] bomb = npz("w", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[16], true);
        int central = lastIndexOf(bomb, new byte[] {0x50, 0x4b, 0x01, 0x02});
        ByteBuffer.wrap(bomb).order(ByteOrder.LITTLE_ENDIAN).putInt(central + 24, Integer.MAX_VALUE - 16);
        BadModelException e = refused(bomb, "bomb.npz");
        assertTrue(e.getMessage().contains("w.npy"), "names the entry: " + e.getMessage());
    }

    @Test
    void npzWithAHandWrittenHeaderReads() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
        data.putFloat(1f).putFloat(2f).putFloat(3f).putFloat(4f);
        byte[] file = npz("w", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", data.array(), true);
        TensorData w = WeightFiles.read(new ByteArrayInputStream(file), "be.npz").get("w");
        assertArrayEquals(new long[] {2, 2}, w.shape());
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, w.floats(), "big-endian floats");
    }

    // ================================================================ helpers

    /** The named arrays of the round trip (all 6 values, float ones 2x3), written by DJL. */
    private static byte[] djl(Format format, List<String> names) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDList list = new NDList();
            for (String n : names) {
                NDArray a = switch (n) {
                    case "f32" -> m.create(FLOATS, new Shape(2, 3));
                    case "f64" -> m.create(FLOATS, new Shape(2, 3)).toType(DataType.FLOAT64, false);
                    case "f16" -> m.create(FLOATS, new Shape(2, 3)).toType(DataType.FLOAT16, false);
                    case "i64" -> m.create(new long[] {Long.MIN_VALUE, -1, 0, 1L << 40, Long.MAX_VALUE, 7});
                    case "i32" -> m.create(new int[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE, 7});
                    case "i8" -> m.create(new byte[] {-128, -1, 0, 1, 127, 7});
                    case "u8" -> m.create(new byte[] {0, 1, 127, (byte) 128, (byte) 255, 7}).toType(DataType.UINT8, false);
                    case "bool" -> m.create(new boolean[] {true, false, true, true, false, false});
                    default -> throw new IllegalArgumentException(n);
                };
                a.setName(n);
                list.add(a);
            }
            list.encode(out, format.encoding);
        }
        return out.toByteArray();
    }

    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** An NDList of one FLOAT32 array named w, version 3, whose shape and data the body writes (rank first). */
    private static byte[] ndList(Body shapeAndData) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(1);
        out.writeUTF("NDAR");
        out.writeInt(3);
        out.writeByte(1);
        out.writeUTF("w");
        out.writeUTF("DENSE");
        out.writeUTF("FLOAT32");
        shapeAndData.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] safetensors(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    /** An npz of one .npy entry {@code key.npy} with this header (version 1.0), stored or deflated. */
    private static byte[] npz(String key, String header, byte[] data, boolean deflate) throws IOException {
        byte[] h = (header + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer npy = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        npy.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h).put(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            ZipEntry e = new ZipEntry(key + ".npy");
            if (!deflate) {
                e.setMethod(ZipEntry.STORED);
                e.setSize(npy.capacity());
                e.setCompressedSize(npy.capacity());
                e.setCrc(CraftedZip.crc(npy.array()));
            }
            zip.putNextEntry(e);
            zip.write(npy.array());
            zip.closeEntry();
        }
        return out.toByteArray();
    }

    private static int lastIndexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = haystack.length - needle.length; i >= 0; i--) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
