package io.metalr.data.read;

import io.metalr.Compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataPathsTest {

    @TempDir
    Path dir;

    @Test
    void plainPathsAndFileUrisReachTheSameFiles() throws Exception {
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        Path f = TestFiles.write(dir.resolve("sub dir/a.bin"), data);
        String uri = f.toUri().toString(); // file:///.../sub%20dir/a.bin
        String plain = f.toString();
        assertTrue(uri.startsWith("file:/"), uri);
        assertTrue(DataPaths.exists(plain));
        assertTrue(DataPaths.exists("file://" + plain));
        assertArrayEquals(data, DataPaths.readAllBytes(plain));
        assertArrayEquals(data, DataPaths.readAllBytes("file://" + plain));
        assertFalse(DataPaths.isDirectory(plain));
        assertTrue(DataPaths.isDirectory("file://" + f.getParent()));
        assertEquals("a.bin", DataPaths.name("file://" + plain));
    }

    @Test
    void missingPathsAreErrorsThatNameThePath() {
        String missing = dir.resolve("nope/x.npz").toString();
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> DataPaths.readAllBytes(missing));
        assertTrue(e.getMessage().contains(missing), e.getMessage());
        e = assertThrows(FileNotFoundException.class, () -> DataPaths.list("file://" + missing));
        assertTrue(e.getMessage().contains(missing), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataPaths.toPath(""));
        IOException io = assertThrows(IOException.class, () -> DataPaths.open(dir.toString()));
        assertTrue(io.getMessage().contains("directory"), io.getMessage());
    }

    @Test
    void gzIsUnpackedWhereAsked() throws Exception {
        byte[] data = "x,y\n1,2\n".getBytes(StandardCharsets.UTF_8);
        Path gz = TestFiles.write(dir.resolve("m.csv.gz"), Compress.gzip(data));
        assertArrayEquals(data, DataPaths.readAllBytes(gz.toString(), true));
        assertArrayEquals(Compress.gzip(data), DataPaths.readAllBytes(gz.toString(), false));
        try (InputStream in = DataPaths.openMaybeGunzip("file://" + gz)) {
            assertArrayEquals(data, in.readAllBytes());
        }
        byte[] packed = Compress.gzip(data);
        Path cut = TestFiles.write(dir.resolve("cut.gz"), TestFiles.cut(packed, packed.length - 12));
        IOException e = assertThrows(IOException.class, () -> DataPaths.readAllBytes(cut.toString(), true));
        assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
    }

    @Test
    void listingIsSortedAndRelativePathsResolveAgainstAFolder() throws Exception {
        TestFiles.write(dir.resolve("b.txt"), new byte[1]);
        TestFiles.write(dir.resolve("a.txt"), new byte[1]);
        List<String> names = DataPaths.list(dir.toString()).stream().map(DataPaths::name).toList();
        assertEquals(List.of("a.txt", "b.txt"), names);
        assertEquals("file:/data/m/img/x.png", DataPaths.resolve("file:/data/m", "img/x.png"));
        assertEquals("hdfs://nn:8020/d/x.png", DataPaths.resolve("hdfs://nn:8020/d", "x.png"));
        assertEquals("/abs/x.png", DataPaths.resolve("hdfs://nn:8020/d", "/abs/x.png"));
        assertEquals("s3a://b/k/x.png", DataPaths.resolve("/local", "s3a://b/k/x.png"));
        assertEquals("/local/a b.png", DataPaths.resolve("/local", "a b.png"));
        assertEquals("s3a://b/k", DataPaths.parent("s3a://b/k/x.npz"));
    }

    @Test
    void readersTakeExplicitFileUris() throws Exception {
        // npz via file://
        byte[] npz = TestFiles.npz(Map.of(
                "train_images", TestFiles.npyU1(new long[] {2, 3, 3}, TestFiles.grayPixels(2, 3, 3)),
                "train_labels", TestFiles.npyU1Labels(0, 1)), true);
        Path f = TestFiles.write(dir.resolve("tiny.npz"), npz);
        SampleSet set = MedMnistReader.read(f.toUri().toString(), OnBadRecord.FAIL);
        assertEquals(2, set.samples().size());
        assertEquals("tiny.npz:train[1]", set.samples().get(1).id());
        // NIfTI via file://
        byte[] nii = TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_UINT8, 2, 2, 2,
                new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 1f, 0f, 3, null);
        Path v = TestFiles.write(dir.resolve("v.nii"), nii);
        assertEquals(8f, NiftiVolume.read("file://" + v).get(1, 1, 1));
    }
}
