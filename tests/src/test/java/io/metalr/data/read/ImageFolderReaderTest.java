package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.udf.image.BadRecordException;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {

    @TempDir
    Path root;

    @Test
    void classFoldersSortedByNameGiveTheLabels() throws Exception {
        TestFiles.write(root.resolve("zebra/1.png"), TestFiles.png(4, 3, 1, 0));
        TestFiles.write(root.resolve("zebra/2.PNG"), TestFiles.png(4, 3, 1, 1));
        TestFiles.write(root.resolve("apple/a.png"), TestFiles.png(4, 3, 3, 2));
        TestFiles.write(root.resolve("apple/notes.txt"), new byte[] {1, 2});
        TestFiles.write(root.resolve("apple/.hidden.png"), new byte[] {1, 2});
        TestFiles.write(root.resolve("mango/m.png"), TestFiles.png(4, 3, 1, 3));
        TestFiles.write(root.resolve("README.png"), TestFiles.png(4, 3, 1, 3));
        SampleSet set = ImageFolderReader.read(root.toString(), OnBadRecord.FAIL);
        assertEquals(List.of("apple", "mango", "zebra"), set.classNames());
        assertEquals(4, set.samples().size());
        Sample a = set.samples().get(0);
        assertEquals(0, a.label());
        assertTrue(a.id().endsWith("apple/a.png"), a.id());
        assertEquals(3, a.image().channels());
        assertNull(a.split());
        assertNull(a.patientId());
        assertEquals(2, set.samples().get(3).label());
        Sample m = set.samples().get(1);
        assertEquals(1, m.label());
        assertEquals(((1 + 2 * 3 + 3) % 256) / 255f, m.image().get(0, 2, 1), 1e-6);
    }

    @Test
    void splitFoldersGiveTheSplit() throws Exception {
        TestFiles.write(root.resolve("train/cat/1.png"), TestFiles.png(5, 5, 1, 0));
        TestFiles.write(root.resolve("train/dog/2.png"), TestFiles.png(5, 5, 1, 1));
        TestFiles.write(root.resolve("validation/dog/3.png"), TestFiles.png(5, 5, 1, 2));
        TestFiles.write(root.resolve("test/cat/4.png"), TestFiles.png(5, 5, 1, 3));
        TestFiles.write(root.resolve("test/bird/5.png"), TestFiles.png(5, 5, 1, 4));
        SampleSet set = ImageFolderReader.read("file://" + root, OnBadRecord.FAIL);
        assertEquals(List.of("bird", "cat", "dog"), set.classNames());
        assertEquals(5, set.samples().size());
        for (Sample s : set.samples()) {
            String expect = s.id().contains("/train/") ? "train" : s.id().contains("/validation/") ? "val" : "test";
            assertEquals(expect, s.split(), s.id());
            String cls = Path.of(s.id().substring(5)).getParent().getFileName().toString();
            assertEquals(set.classNames().indexOf(cls), s.label(), s.id());
        }
    }

    @Test
    void corruptImageFailsNamingTheFileOrIsSkipped() throws Exception {
        TestFiles.write(root.resolve("a/good.png"), TestFiles.png(4, 4, 1, 0));
        byte[] png = TestFiles.png(4, 4, 1, 1);
        TestFiles.write(root.resolve("a/cut.png"), TestFiles.cut(png, png.length / 2));
        TestFiles.write(root.resolve("b/junk.jpg"), "not a jpeg".getBytes());
        TestFiles.write(root.resolve("b/fine.png"), TestFiles.png(4, 4, 1, 2));
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> ImageFolderReader.read(root.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("cut.png"), e.getMessage());
        SampleSet set = ImageFolderReader.read(root.toString(), OnBadRecord.SKIP);
        assertEquals(2, set.samples().size());
        assertEquals(2, set.skipped());
    }

    @Test
    void sameShapeMakesAnOddImageABadRecord() throws Exception {
        TestFiles.write(root.resolve("a/1.png"), TestFiles.png(4, 4, 1, 0));
        TestFiles.write(root.resolve("a/2.png"), TestFiles.png(5, 4, 1, 0));
        TestFiles.write(root.resolve("b/3.png"), TestFiles.png(4, 4, 1, 0));
        assertEquals(3, ImageFolderReader.read(root.toString(), OnBadRecord.FAIL).samples().size());
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> ImageFolderReader.read(root.toString(), OnBadRecord.FAIL, true));
        assertTrue(e.getMessage().contains("2.png") && e.getMessage().contains("differs"), e.getMessage());
        SampleSet set = ImageFolderReader.read(root.toString(), OnBadRecord.SKIP, true);
        assertEquals(1, set.skipped());
        assertEquals(2, set.samples().size());
    }

    @Test
    void emptySplitAfterSkippingNamesTheSplit() throws Exception {
        TestFiles.write(root.resolve("train/a/1.png"), "broken".getBytes());
        TestFiles.write(root.resolve("test/a/2.png"), TestFiles.png(4, 4, 1, 0));
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> ImageFolderReader.read(root.toString(), OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("train split") && e.getMessage().contains("no samples"), e.getMessage());
    }

    @Test
    void missingOrEmptyRootIsAnError() throws Exception {
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> ImageFolderReader.read(root.resolve("nope").toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        Files.createDirectories(root.resolve("x"));
        Files.delete(root.resolve("x"));
        assertThrows(FileNotFoundException.class, () -> ImageFolderReader.read(root.toString(), OnBadRecord.FAIL));
    }
}
