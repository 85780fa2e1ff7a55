package io.metalr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.data.read.Sample;
import io.metalr.data.read.SampleSet;
import io.metalr.udf.image.Image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The npz writer streams arrays (the demo's splits are never one array) and still writes stored
 * entries whose sizes and CRCs a zip reader accepts. Read back here with the JDK's zip reader
 * (it checks a stored entry's size and CRC) and a header parse of the test's own.
 */
class NpzWriterTest {

    @TempDir
    Path dir;

    @Test
    void streamedArraysReadBackWithValidCrcs() throws IOException {
        byte[] images = new byte[3 * 4 * 5];
        for (int i = 0; i < images.length; i++) {
            images[i] = (byte) (i * 7);
        }
        NpzWriter npz = new NpzWriter()
                .put("a_images", "|u1", new long[] {3, 4, 5}, out -> {
                    for (int row = 0; row < 3; row++) {
                        out.write(images, row * 20, 20);
                    }
                })
                .put("a_labels", NpzWriter.Array.int64(new long[] {2, 0, 1}, 3, 1));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        npz.writeTo(bytes);
        Map<String, Npy> read = read(bytes.toByteArray());
        assertEquals(List.of("a_images.npy", "a_labels.npy"), new ArrayList<>(read.keySet()));
        assertEquals("|u1", read.get("a_images.npy").dtype);
        assertEquals("(3, 4, 5)", read.get("a_images.npy").shape);
        assertArrayEquals(images, read.get("a_images.npy").data);
        assertEquals("(3, 1)", read.get("a_labels.npy").shape);
        assertArrayEquals(longs(2, 0, 1), read.get("a_labels.npy").data);
    }

    @Test
    void valuesThatDoNotFitTheShapeAreRefusedNamingTheArray() {
        NpzWriter npz = new NpzWriter().put("x_images", "|u1", new long[] {2, 3}, out -> out.write(new byte[5]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> npz.writeTo(new ByteArrayOutputStream()));
        assertTrue(e.getMessage().contains("x_images") && e.getMessage().contains("6 bytes"), e.getMessage());
    }

    @Test
    void demoSplitsAreWrittenImageByImageAsEightBitCodes() throws IOException {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            float[] px = new float[6];
            for (int p = 0; p < px.length; p++) {
                px[p] = ((i * 31 + p * 17) % 256) / 255f;
            }
            samples.add(new Sample("s" + i, new Image(px, 1, 2, 3), i % 2, "p" + i, null));
        }
        Path file = dir.resolve("demo.npz");
        DemoData.write(file, new SampleSet("demo", samples, List.of("a", "b"), 0), new Splits.Ratios(0.5, 0.25, 0.25), 3);
        Map<String, Npy> read;
        try (InputStream in = Files.newInputStream(file)) {
            read = read(in.readAllBytes());
        }
        int total = 0;
        for (String split : List.of("train", "val", "test")) {
            Npy img = read.get(split + "_images.npy");
            Npy lab = read.get(split + "_labels.npy");
            int n = img.data.length / 6;
            assertEquals("(" + n + ", 2, 3)", img.shape);
            ByteBuffer labels = ByteBuffer.wrap(lab.data).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < n; k++) {
                // each image's first code names its sample: (i * 31) % 256 is distinct for i < 40
                int code = img.data[k * 6] & 0xFF;
                int i = -1;
                for (int c = 0; c < 40; c++) {
                    if ((c * 31) % 256 == code) {
                        i = c;
                    }
                }
                for (int p = 0; p < 6; p++) {
                    assertEquals((i * 31 + p * 17) % 256, img.data[k * 6 + p] & 0xFF);
                }
                assertEquals(i % 2, labels.getLong());
            }
            total += n;
        }
        assertEquals(40, total);
    }

    private record Npy(String dtype, String shape, byte[] data) {}

    private static Map<String, Npy> read(byte[] npz) throws IOException {
        Map<String, Npy> out = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new java.io.ByteArrayInputStream(npz))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                assertEquals(ZipEntry.STORED, e.getMethod());
                byte[] all = zip.readAllBytes(); // a wrong size or CRC throws here
                int headerLength = (all[8] & 0xFF) | (all[9] & 0xFF) << 8;
                String header = new String(all, 10, headerLength, StandardCharsets.US_ASCII);
                assertEquals(0, (10 + headerLength) % 64, "npy data is 64-byte aligned");
                String dtype = header.replaceAll(".*'descr': '([^']*)'.*\\s*", "$1").trim();
                String shape = header.replaceAll(".*'shape': (\\([^)]*\\)).*\\s*", "$1").trim();
                byte[] data = java.util.Arrays.copyOfRange(all, 10 + headerLength, all.length);
                out.put(e.getName(), new Npy(dtype, shape, data));
            }
        }
        return out;
    }

    private static byte[] longs(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }
}
