package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.udf.image.BadRecordException;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MedMnistReaderTest {

    @TempDir
    Path dir;

    /** A gray MedMNIST-like set: train 5, val 2, test 3 images of 4x3. */
    private static Map<String, byte[]> gray() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", TestFiles.npyU1(new long[] {5, 4, 3}, TestFiles.grayPixels(5, 4, 3)));
        m.put("train_labels", TestFiles.npyU1Labels(0, 1, 2, 1, 0));
        m.put("val_images", TestFiles.npyU1(new long[] {2, 4, 3}, TestFiles.grayPixels(2, 4, 3)));
        m.put("val_labels", TestFiles.npyI8(new long[] {2}, new long[] {2, 2}, ByteOrder.LITTLE_ENDIAN));
        m.put("test_images", TestFiles.npyU1(new long[] {3, 4, 3}, TestFiles.grayPixels(3, 4, 3)));
        m.put("test_labels", TestFiles.npyI8(new long[] {3, 1}, new long[] {0, 1, 2}, ByteOrder.BIG_ENDIAN));
        return m;
    }

    private Path write(String name, Map<String, byte[]> arrays, boolean deflate) {
        return TestFiles.write(dir.resolve(name), TestFiles.npz(arrays, deflate));
    }

    @ParameterizedTest(name = "deflated={0}")
    @ValueSource(booleans = {false, true})
    void readsGraySplitsStoredOrDeflated(boolean deflate) throws Exception {
        Path f = write("pneumoniamnist.npz", gray(), deflate);
        SampleSet set = MedMnistReader.read(f.toString(), OnBadRecord.FAIL);
        assertEquals("pneumoniamnist.npz", set.name());
        assertEquals(List.of("0", "1", "2"), set.classNames());
        assertEquals(10, set.samples().size());
        assertEquals(0, set.skipped());
        Sample s = set.samples().get(3);
        assertEquals("pneumoniamnist.npz:train[3]", s.id());
        assertEquals("train", s.split());
        assertEquals(1, s.label());
        assertNull(s.patientId());
        assertEquals(1, s.image().channels());
        assertEquals(4, s.image().height());
        assertEquals(3, s.image().width());
        // pixel (y=2, x=1) of image 3 is (3*7 + 2*3 + 1) / 255
        assertEquals((3 * 7 + 7) / 255f, s.image().get(0, 2, 1), 1e-7);
        assertEquals("val", set.samples().get(5).split());
        assertEquals(2, set.samples().get(6).label());
        assertEquals("test", set.samples().get(9).split());
        assertEquals(2, set.samples().get(9).label());
    }

    @Test
    void rgbImagesAreTransposedToChannelsFirst() throws Exception {
        int n = 2, h = 2, w = 3;
        byte[] px = new byte[n * h * w * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) i;
        }
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", TestFiles.npyU1(new long[] {n, h, w, 3}, px));
        m.put("train_labels", TestFiles.npyU1Labels(3, 1));
        SampleSet set = MedMnistReader.read(write("rgb.npz", m, true).toString(), OnBadRecord.FAIL);
        Sample s = set.samples().get(1);
        assertEquals(3, s.image().channels());
        // NHWC element (1, y=1, x=2, c=1) = index ((1*2 + 1)*3 + 2)*3 + 1 = 34
        assertEquals(34 / 255f, s.image().get(1, 1, 2), 1e-7);
        assertEquals(List.of("0", "1", "2", "3"), set.classNames());
    }

    @Test
    void floatImagesAreTakenAsTheyAreAndNanIsABadRecord() throws Exception {
        float[] v = new float[3 * 2 * 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = i / 20f;
        }
        v[5] = Float.NaN; // image 1
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", TestFiles.npyF4(new long[] {3, 2, 2}, v));
        m.put("train_labels", TestFiles.npyU1Labels(0, 1, 1));
        Path f = write("float.npz", m, false);
        BadRecordException e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(f.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("float.npz:train[1]") && e.getMessage().contains("NaN"), e.getMessage());
        SampleSet set = MedMnistReader.read(f.toString(), OnBadRecord.SKIP);
        assertEquals(2, set.samples().size());
        assertEquals(1, set.skipped());
        assertEquals(9 / 20f, set.samples().get(1).image().data()[1], 1e-7);
    }

    @Test
    void labelsOutOfRangeNegativeOrFractionalAreBadRecords() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", TestFiles.npyU1(new long[] {4, 2, 2}, TestFiles.grayPixels(4, 2, 2)));
        m.put("train_labels", TestFiles.npyI8(new long[] {4, 1}, new long[] {0, 1, 5, -1}, ByteOrder.LITTLE_ENDIAN));
        Path f = write("labels.npz", m, true);
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> MedMnistReader.read(f.toString(), OnBadRecord.FAIL, 2));
        assertTrue(e.getMessage().contains("labels.npz:train[2]") && e.getMessage().contains("out of range"), e.getMessage());
        SampleSet set = MedMnistReader.read(f.toString(), OnBadRecord.SKIP, 2);
        assertEquals(2, set.samples().size());
        assertEquals(2, set.skipped());
        assertEquals(List.of("0", "1"), set.classNames());
        // without a class count only the negative one is bad, and K = 6
        SampleSet inferred = MedMnistReader.read(f.toString(), OnBadRecord.SKIP);
        assertEquals(1, inferred.skipped());
        assertEquals(6, inferred.numClasses());

        Map<String, byte[]> frac = new LinkedHashMap<>();
        frac.put("test_images", TestFiles.npyU1(new long[] {2, 2, 2}, TestFiles.grayPixels(2, 2, 2)));
        frac.put("test_labels", TestFiles.npyF4(new long[] {2}, new float[] {1f, 0.5f}));
        Path g = write("frac.npz", frac, false);
        e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(g.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("frac.npz:test[1]") && e.getMessage().contains("not an integer"), e.getMessage());
    }

    @Test
    void multiLabelSetsAreRefused() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", TestFiles.npyU1(new long[] {2, 2, 2}, TestFiles.grayPixels(2, 2, 2)));
        m.put("train_labels", TestFiles.npyU1(new long[] {2, 14}, new byte[28]));
        Path f = write("chestmnist.npz", m, true);
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> MedMnistReader.read(f.toString(), OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("chestmnist.npz") && e.getMessage().contains("multi-label")
                && e.getMessage().contains("not supported"), e.getMessage());
    }

    @Test
    void fortranOrderUnknownDtypesAndVolumesAreRefusedNamingFileAndKey() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", TestFiles.npy("|u1", new long[] {2, 2, 2}, new byte[8], true));
        m.put("train_labels", TestFiles.npyU1Labels(0, 1));
        Path f = write("fortran.npz", m, false);
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> MedMnistReader.read(f.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("fortran.npz key train_images") && e.getMessage().contains("Fortran"), e.getMessage());

        m.put("train_images", TestFiles.npy("<c8", new long[] {2, 2, 2}, new byte[64], false));
        Path g = write("complex.npz", m, false);
        e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(g.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("complex.npz key train_images") && e.getMessage().contains("<c8"), e.getMessage());

        m.put("train_images", TestFiles.npyU1(new long[] {2, 4, 4, 4}, new byte[128]));
        Path v = write("organmnist3d.npz", m, false);
        e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(v.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("organmnist3d.npz") && e.getMessage().contains("3D"), e.getMessage());
    }

    @Test
    void truncatedOrCorruptNpzFailsNamingTheFile() {
        byte[] npz = TestFiles.npz(gray(), true);
        Path f = TestFiles.write(dir.resolve("cut.npz"), TestFiles.cut(npz, npz.length / 2));
        BadRecordException e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(f.toString(), OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("cut.npz") && e.getMessage().contains("truncated"), e.getMessage());

        // a stored entry whose data is cut (central directory intact): the .npy inside is short
        Map<String, byte[]> m = gray();
        byte[] img = m.get("train_images");
        m.put("train_images", TestFiles.cut(img, img.length - 5));
        Path g = write("short.npz", m, false);
        e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(g.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("short.npz key train_images") && e.getMessage().contains("truncated"), e.getMessage());

        Path junk = TestFiles.write(dir.resolve("junk.npz"), new byte[100]);
        e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(junk.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("junk.npz"), e.getMessage());
    }

    /** Shapes whose byte count wraps around a long (2^61 x 8 bytes = 0), or whose element count does. */
    @Test
    void hugeDeclaredShapesAreBadRecordsNamingTheFile() {
        for (long[] shape : new long[][] {{1L << 61, 1, 1}, {1L << 40, 1L << 40, 1}}) {
            Map<String, byte[]> m = gray();
            m.put("train_images", TestFiles.npy("<f8", shape, new byte[64], false));
            Path f = write("huge.npz", m, false);
            BadRecordException e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(f.toString(), OnBadRecord.SKIP));
            assertTrue(e.getMessage().contains("huge.npz") && e.getMessage().contains("more bytes than a file can hold"),
                    e.getMessage());
        }
    }

    @Test
    void countMismatchAndEmptySplitsAreErrorsNamingTheSplit() throws Exception {
        Map<String, byte[]> m = gray();
        m.put("val_labels", TestFiles.npyU1Labels(0, 1, 2));
        Path f = write("mismatch.npz", m, true);
        BadRecordException e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(f.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("val_images") && e.getMessage().contains("val_labels"), e.getMessage());

        Map<String, byte[]> bad = gray();
        bad.put("val_labels", TestFiles.npyI8(new long[] {2}, new long[] {-1, -2}, ByteOrder.LITTLE_ENDIAN));
        Path g = write("emptyval.npz", bad, true);
        e = assertThrows(BadRecordException.class, () -> MedMnistReader.read(g.toString(), OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("val split") && e.getMessage().contains("no samples"), e.getMessage());

        Map<String, byte[]> none = new LinkedHashMap<>();
        none.put("x", TestFiles.npyU1Labels(1));
        Path h = write("other.npz", none, true);
        BadRecordException u = assertThrows(BadRecordException.class,
                () -> MedMnistReader.read(h.toString(), OnBadRecord.FAIL));
        assertTrue(u.getMessage().contains("other.npz"), u.getMessage());
    }

    @Test
    void sixteenBitIntegerImagesScaleBy65535() throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 * 4 * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0).putInt(65535).putInt(1000).putInt(300);
        b.putInt(1).putInt(2).putInt(3).putInt(4);
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", TestFiles.npy("<i4", new long[] {2, 2, 2}, b.array(), false));
        m.put("train_labels", TestFiles.npyU1Labels(0, 1));
        SampleSet set = MedMnistReader.read(write("i4.npz", m, true).toString(), OnBadRecord.FAIL);
        assertEquals(1f, set.samples().get(0).image().data()[1], 1e-7);
        assertEquals(4 / 65535f, set.samples().get(1).image().data()[3], 1e-9);
    }
}
