package io.metalr.data.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.udf.image.RawImage;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Store files: round trip at every code kind across tiny windows, long offsets, removal, bad files. */
class MappedStoreTest {

    @TempDir
    Path dir;

    /** U8, U16, F32 and U8_SCALED images of different shapes (F32 with NaN, -0 and infinities: kept as bits). */
    static List<RawImage> images(int n, long seed) {
        Random rnd = new Random(seed);
        List<RawImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int c = 1 + 2 * rnd.nextInt(2);
            int h = 2 + rnd.nextInt(6);
            int w = 2 + rnd.nextInt(6);
            int len = c * h * w;
            switch (i % 4) {
                case 0 -> {
                    byte[] b = new byte[len];
                    rnd.nextBytes(b);
                    out.add(RawImage.u8(b, c, h, w));
                }
                case 1 -> {
                    short[] s = new short[len];
                    for (int k = 0; k < len; k++) {
                        s[k] = (short) rnd.nextInt(65536);
                    }
                    out.add(RawImage.u16(s, c, h, w));
                }
                case 3 -> {
                    byte[] b = new byte[len];
                    rnd.nextBytes(b);
                    out.add(RawImage.u8Scaled(b, c, h, w));
                }
                default -> {
                    float[] f = new float[len];
                    for (int k = 0; k < len; k++) {
                        f[k] = (float) rnd.nextGaussian();
                    }
                    f[0] = Float.NaN;
                    f[len - 1] = -0f;
                    f[len / 2] = Float.NEGATIVE_INFINITY;
                    out.add(RawImage.f32(f, c, h, w));
                }
            }
        }
        return out;
    }

    private static MappedStore write(Path file, long window, List<RawImage> imgs) {
        StoreWriter w = StoreWriter.create(file, window);
        for (int i = 0; i < imgs.size(); i++) {
            w.add((1L << 40) + 7L * i, i % 5, imgs.get(i));
        }
        return w.finish();
    }

    @Test
    void everyKindRoundTripsAcrossTinyWindows() {
        List<RawImage> imgs = images(90, 1);
        Path file = dir.resolve("tiny.store");
        try (MappedStore s = write(file, 1024, imgs)) {
            assertEquals(90, s.size());
            assertTrue(s.windowCount() >= 8, "the payload spans many 1 KiB windows: " + s.windowCount());
            assertEquals(Files.exists(file) ? file.toFile().length() : -1, s.fileBytes());
            for (int i = 0; i < imgs.size(); i++) {
                RawImage want = imgs.get(i);
                assertEquals((1L << 40) + 7L * i, s.rid(i));
                assertEquals(i % 5, s.label(i));
                assertEquals(CodeKind.of(want.depth()), s.kind(i));
                assertEquals(List.of(want.channels(), want.height(), want.width()),
                        List.of(s.channels(i), s.height(i), s.width(i)));
                assertEquals(want, s.raw(i), "codes of image " + i);
                assertBitwise(want.toImage().data(), s.image(i).data(), "floats of image " + i);
                float[] into = new float[want.length() + 3];
                s.imageInto(i, into, 3);
                assertBitwise(want.toImage().data(), java.util.Arrays.copyOfRange(into, 3, into.length), "into " + i);
            }
            // a second reader of the same file sees the same store
            try (MappedStore again = MappedStore.open(file)) {
                assertEquals(s.sha256(), again.sha256());
                assertEquals(imgs.get(89), again.raw(89));
            }
        }
    }

    @Test
    void contentHashDoesNotDependOnTheWindowButOnEveryCode() {
        List<RawImage> imgs = images(30, 2);
        String tiny;
        String big;
        try (MappedStore a = write(dir.resolve("a"), 700, imgs); MappedStore b = write(dir.resolve("b"), 1L << 30, imgs)) {
            tiny = a.sha256();
            big = b.sha256();
            assertTrue(a.fileBytes() > b.fileBytes(), "tiny windows leave gaps");
        }
        assertEquals(tiny, big);
        byte[] changed = imgs.get(0).bytes().clone();
        changed[3] ^= 1;
        imgs.set(0, RawImage.u8(changed, imgs.get(0).channels(), imgs.get(0).height(), imgs.get(0).width()));
        try (MappedStore c = write(dir.resolve("c"), 1L << 30, imgs)) {
            assertNotEquals(big, c.sha256());
            assertEquals(64, c.sha256().length());
        }
    }

    /** Offsets past 2^31 and 2^32 bytes, with 1 GiB windows: the arithmetic the writer and reader share. */
    @Test
    void offsetsBeyondTwoGigabytesStayInsideOneWindow() {
        long window = StoreLayout.DEFAULT_WINDOW;
        long start = StoreLayout.HEADER_BYTES;
        long record = 224 * 224 * 3; // an 8-bit RGB image
        long at = start;
        int lastWindow = 0;
        long records = 0;
        while (at < 6L * window) { // a 6 GiB store of 40k images, never written
            long placed = StoreLayout.place(at, record, start, window);
            assertTrue(placed >= at && placed - at < record, "a gap is smaller than the record");
            int wIdx = StoreLayout.windowOf(placed, start, window);
            int within = StoreLayout.withinWindow(placed, start, window);
            assertTrue(within + record <= window, "record at " + placed + " straddles window " + wIdx);
            assertEquals(placed, start + wIdx * window + within);
            assertTrue(wIdx == lastWindow || wIdx == lastWindow + 1);
            lastWindow = wIdx;
            at = placed + record;
            records++;
        }
        assertTrue(records > 40_000, "records " + records);
        assertTrue(lastWindow >= 5, "window " + lastWindow);
        long past4g = start + 4 * window + 17;
        assertEquals(4, StoreLayout.windowOf(past4g, start, window));
        assertEquals(17, StoreLayout.withinWindow(past4g, start, window));
        assertEquals(start + 5 * window, StoreLayout.place(start + 5 * window - 10, 11, start, window));
        assertEquals(start + 5 * window - 10, StoreLayout.place(start + 5 * window - 10, 10, start, window));
        assertThrows(IllegalArgumentException.class, () -> StoreLayout.place(start, window + 1, start, window));
    }

    @Test
    void aRecordLargerThanAWindowIsRefusedAndTheFileRemoved() {
        Path file = dir.resolve("small-window.store");
        StoreWriter w = StoreWriter.create(file, 64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> w.add(0, 0, RawImage.u8(new byte[65], 1, 5, 13)));
        assertTrue(e.getMessage().contains("65 bytes"), e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void closedOrAbandonedStoresRemoveTheirFiles() {
        Path file = dir.resolve("closed.store");
        MappedStore s = write(file, 1024, images(5, 3));
        assertTrue(Files.exists(file));
        assertTrue(StoreFiles.isLive(file), "removed at JVM exit at the latest");
        s.close();
        assertFalse(Files.exists(file));
        assertFalse(StoreFiles.isLive(file));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.image(0));
        assertTrue(e.getMessage().contains("closed.store"), e.getMessage());

        Path abandoned = dir.resolve("abandoned.store");
        StoreWriter w = StoreWriter.create(abandoned, 1024);
        w.add(0, 0, images(1, 4).get(0));
        assertTrue(Files.exists(abandoned));
        w.close();
        assertFalse(Files.exists(abandoned));

        // opened, not written here: closing leaves the file to its owner
        Path kept = dir.resolve("kept.store");
        try (MappedStore owner = write(kept, 1024, images(3, 5))) {
            MappedStore.open(kept).close();
            assertTrue(Files.exists(kept));
            assertEquals(3, owner.size());
        }
        assertFalse(Files.exists(kept));
    }

    @Test
    void anUnreachableStoreRemovesItsFile() throws InterruptedException {
        Path file = dir.resolve("dropped.store");
        write(file, 1 << 20, images(4, 6)); // never closed
        for (int i = 0; i < 200 && Files.exists(file); i++) {
            System.gc();
            Thread.sleep(25);
        }
        assertFalse(Files.exists(file), "removed once its store was collected");
    }

    @Test
    void badFilesAreErrorsNamingTheFile() throws Exception {
        Path notStore = dir.resolve("photo.png");
        Files.write(notStore, new byte[200]);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> MappedStore.open(notStore));
        assertTrue(e.getMessage().contains("photo.png") && e.getMessage().contains("not a store file"), e.getMessage());

        Path file = dir.resolve("cut.store");
        try (MappedStore s = MappedStore.open(copyOf(write(dir.resolve("whole.store"), 1024, images(10, 7)), file))) {
            assertEquals(10, s.size());
        }
        byte[] b = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(b, b.length - 5));
        e = assertThrows(UncheckedIOException.class, () -> MappedStore.open(file));
        assertTrue(e.getMessage().contains("cut.store") && e.getMessage().contains("corrupt"), e.getMessage());
        Files.write(file, java.util.Arrays.copyOf(b, 50));
        e = assertThrows(UncheckedIOException.class, () -> MappedStore.open(file));
        assertTrue(e.getMessage().contains("cut.store") && e.getMessage().contains("truncated"), e.getMessage());

        Path noDir = dir.resolve("file-not-dir");
        Files.write(noDir, new byte[1]);
        e = assertThrows(UncheckedIOException.class, () -> StoreWriter.createIn(noDir.resolve("sub"), "x"));
        assertTrue(e.getMessage().contains("file-not-dir"), e.getMessage());
    }

    private static Path copyOf(MappedStore s, Path to) throws Exception {
        Files.copy(s.file(), to);
        s.close();
        return to;
    }

    static void assertBitwise(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        int[] a = new int[want.length];
        int[] b = new int[got.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Float.floatToRawIntBits(want[i]);
            b[i] = Float.floatToRawIntBits(got[i]);
        }
        assertArrayEquals(a, b, what);
    }
}
