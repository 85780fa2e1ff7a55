package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.Compress;
import io.metalr.udf.image.BadRecordException;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {

    @TempDir
    Path tmp;

    private static byte[] maybeGz(byte[] b, boolean gz) {
        return gz ? Compress.gzip(b) : b;
    }

    /** train: 4 images of 3x2, t10k: 2. */
    private Path writeSet(String dirName, boolean gz) {
        Path d = tmp.resolve(dirName);
        String ext = gz ? ".gz" : "";
        TestFiles.write(d.resolve("train-images-idx3-ubyte" + ext), maybeGz(TestFiles.idxImages(4, 3, 2, TestFiles.grayPixels(4, 3, 2)), gz));
        TestFiles.write(d.resolve("train-labels-idx1-ubyte" + ext), maybeGz(TestFiles.idxLabels(9, 0, 3, 3), gz));
        TestFiles.write(d.resolve("t10k-images-idx3-ubyte" + ext), maybeGz(TestFiles.idxImages(2, 3, 2, TestFiles.grayPixels(2, 3, 2)), gz));
        TestFiles.write(d.resolve("t10k-labels-idx1-ubyte" + ext), maybeGz(TestFiles.idxLabels(1, 2), gz));
        return d;
    }

    @ParameterizedTest(name = "gz={0}")
    @ValueSource(booleans = {false, true})
    void readsTrainAndTestRawOrGzipped(boolean gz) throws Exception {
        Path d = writeSet("mnist", gz);
        SampleSet set = IdxReader.read(d.toString(), OnBadRecord.FAIL);
        assertEquals(IdxReader.DIGIT_CLASSES, set.classNames());
        assertEquals(6, set.samples().size());
        Sample s = set.samples().get(2);
        assertEquals("train-images-idx3-ubyte" + (gz ? ".gz" : "") + "[2]", s.id());
        assertEquals("train", s.split());
        assertEquals(3, s.label());
        assertEquals(3, s.image().height());
        assertEquals(2, s.image().width());
        assertEquals((2 * 7 + 1 * 2 + 1) / 255f, s.image().get(0, 1, 1), 1e-7);
        assertEquals("test", set.samples().get(5).split());
        assertEquals(2, set.samples().get(5).label());
    }

    @Test
    void fashionDirectoryGetsFashionNames() throws Exception {
        SampleSet set = IdxReader.read("file://" + writeSet("Fashion-MNIST-raw", true), OnBadRecord.FAIL);
        assertEquals("Ankle boot", set.classNames().get(9));
        assertEquals("T-shirt/top", set.classNames().get(0));
    }

    /** A header may claim 2^31 - 1 records in a few bytes: the missing tail is one fault, not two billion. */
    @Test
    void aHeaderClaimingBillionsOfRecordsIsOneFault() {
        Path d = writeSet("billions", false);
        int claimed = Integer.MAX_VALUE;
        byte[] images = TestFiles.idxImages(2, 3, 2, TestFiles.grayPixels(2, 3, 2));
        java.nio.ByteBuffer.wrap(images).putInt(4, claimed);
        byte[] labels = TestFiles.idxLabels(1, 2);
        java.nio.ByteBuffer.wrap(labels).putInt(4, claimed);
        TestFiles.write(d.resolve("train-images-idx3-ubyte"), images);
        TestFiles.write(d.resolve("train-labels-idx1-ubyte"), labels);
        BadRecordException e = assertThrows(BadRecordException.class, () -> IdxReader.read(d.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte[2]") && e.getMessage().contains("truncated"), e.getMessage());
        // not a speed figure: a guard that ends the test if the reader walks the claimed records one by one
        SampleSet set = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                () -> IdxReader.read(d.toString(), OnBadRecord.SKIP));
        assertEquals(claimed - 2L, set.skipped());
    }

    @Test
    void countMismatchNamesBothFiles() {
        Path d = writeSet("mismatch", false);
        TestFiles.write(d.resolve("t10k-labels-idx1-ubyte"), TestFiles.idxLabels(1, 2, 3));
        BadRecordException e = assertThrows(BadRecordException.class, () -> IdxReader.read(d.toString(), OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte") && e.getMessage().contains("t10k-labels-idx1-ubyte"),
                e.getMessage());
    }

    @ParameterizedTest(name = "gz={0}")
    @ValueSource(booleans = {false, true})
    void truncatedImagesFailNamingTheFileOrAreSkippedAndCounted(boolean gz) throws Exception {
        Path d = writeSet("cut" + gz, gz);
        byte[] full = TestFiles.idxImages(4, 3, 2, TestFiles.grayPixels(4, 3, 2));
        byte[] cut = TestFiles.cut(full, 16 + 2 * 6 + 3); // two whole images and half of the third
        if (gz) {
            cut = Compress.gzip(cut);
        }
        String name = "train-images-idx3-ubyte" + (gz ? ".gz" : "");
        TestFiles.write(d.resolve(name), cut);
        BadRecordException e = assertThrows(BadRecordException.class, () -> IdxReader.read(d.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains("truncated"), e.getMessage());
        SampleSet set = IdxReader.read(d.toString(), OnBadRecord.SKIP);
        assertEquals(2, set.skipped());
        assertEquals(4, set.samples().size());
    }

    @Test
    void cutGzipStreamKeepsWhatItHeld() throws Exception {
        Path d = writeSet("cutgz", true);
        byte[] big = Compress.gzip(TestFiles.idxImages(4, 3, 2, TestFiles.grayPixels(4, 3, 2)));
        TestFiles.write(d.resolve("train-images-idx3-ubyte.gz"), TestFiles.cut(big, big.length - 4));
        // the deflate data is whole, only the trailer is gone: every image is there
        SampleSet set = IdxReader.read(d.toString(), OnBadRecord.FAIL);
        assertEquals(6, set.samples().size());

        // cut in the middle of the deflate stream: the images after the cut are bad records
        java.util.Random r = new java.util.Random(1);
        byte[] noise = new byte[50 * 10 * 10];
        r.nextBytes(noise);
        byte[] packed = Compress.gzip(TestFiles.idxImages(50, 10, 10, noise));
        Path e = tmp.resolve("cutmid");
        TestFiles.write(e.resolve("train-images-idx3-ubyte.gz"), TestFiles.cut(packed, packed.length * 6 / 10));
        TestFiles.write(e.resolve("train-labels-idx1-ubyte.gz"), Compress.gzip(TestFiles.idxLabels(new int[50])));
        BadRecordException fail = assertThrows(BadRecordException.class, () -> IdxReader.read(e.toString(), OnBadRecord.FAIL));
        assertTrue(fail.getMessage().contains("train-images-idx3-ubyte.gz") && fail.getMessage().contains("truncated"),
                fail.getMessage());
        SampleSet partial = IdxReader.read(e.toString(), OnBadRecord.SKIP);
        assertTrue(partial.skipped() > 0 && partial.samples().size() > 0, partial.skipped() + " skipped");
        assertEquals(50, partial.skipped() + partial.samples().size());
    }

    @Test
    void labelOutOfRangeIsABadRecord() throws Exception {
        Path d = writeSet("range", false);
        TestFiles.write(d.resolve("t10k-labels-idx1-ubyte"), TestFiles.idxLabels(12, 2));
        BadRecordException e = assertThrows(BadRecordException.class, () -> IdxReader.read(d.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte[0]") && e.getMessage().contains("out of range"),
                e.getMessage());
        SampleSet set = IdxReader.read(d.toString(), OnBadRecord.SKIP);
        assertEquals(1, set.skipped());

        TestFiles.write(d.resolve("t10k-labels-idx1-ubyte"), TestFiles.idxLabels(12, 10));
        e = assertThrows(BadRecordException.class, () -> IdxReader.read(d.toString(), OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("test split") && e.getMessage().contains("no samples"), e.getMessage());
    }

    @Test
    void badMagicAndMissingFilesAreErrors() throws Exception {
        Path d = writeSet("magic", false);
        TestFiles.write(d.resolve("train-images-idx3-ubyte"), TestFiles.idxLabels(1, 2, 3, 4));
        BadRecordException e = assertThrows(BadRecordException.class, () -> IdxReader.read(d.toString(), OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte") && e.getMessage().contains("magic"), e.getMessage());

        Path half = writeSet("half", false);
        Files.delete(half.resolve("train-labels-idx1-ubyte"));
        FileNotFoundException f = assertThrows(FileNotFoundException.class, () -> IdxReader.read(half.toString(), OnBadRecord.FAIL));
        assertTrue(f.getMessage().contains("train-labels-idx1-ubyte"), f.getMessage());

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThrows(FileNotFoundException.class, () -> IdxReader.read(empty.toString(), OnBadRecord.FAIL));
        assertThrows(FileNotFoundException.class, () -> IdxReader.read(tmp.resolve("absent").toString(), OnBadRecord.FAIL));
    }

    @Test
    void realFashionMnist() throws Exception {
        Path d = Path.of("/usr/share/datasets/fashion-mnist");
        Assumptions.assumeTrue(Files.exists(d.resolve("train-images-idx3-ubyte.gz")), "dataset-fashion-mnist is not installed");
        SampleSet set = IdxReader.read(d.toString(), OnBadRecord.FAIL);
        long train = set.samples().stream().filter(s -> "train".equals(s.split())).count();
        long test = set.samples().stream().filter(s -> "test".equals(s.split())).count();
        assertEquals(60000, train);
        assertEquals(10000, test);
        assertEquals(0, set.skipped());
        assertEquals(IdxReader.FASHION_CLASSES, set.classNames());
        Sample first = set.samples().get(0);
        assertEquals(List.of(1, 28, 28), List.of(first.image().channels(), first.image().height(), first.image().width()));
        assertEquals(9, first.label(), "Fashion-MNIST's first training image is an ankle boot");
        int[] perClass = new int[10];
        set.samples().stream().filter(s -> "test".equals(s.split())).forEach(s -> perClass[s.label()]++);
        for (int c : perClass) {
            assertEquals(1000, c);
        }
    }
}
