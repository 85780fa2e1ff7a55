package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.Compress;
import io.metalr.udf.image.BadRecordException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** NIfTI volumes labelled per volume, listed in a manifest: each becomes its slices, one patient each. */
class ManifestVolumeTest {

    @TempDir
    Path dir;

    /** A 6x5x4 volume whose slice z has value z+1 everywhere except z = 0 (background). */
    private Path volume(String name) {
        double[] v = new double[6 * 5 * 4];
        for (int z = 0; z < 4; z++) {
            for (int i = 0; i < 30; i++) {
                v[z * 30 + i] = z == 0 ? 0 : z + 1 + (i % 3);
            }
        }
        return TestFiles.write(dir.resolve(name), Compress.gzip(TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_FLOAT32, 6, 5, 4, v, 0f, 0f, 3, null)));
    }

    @Test
    void everyForegroundSliceIsASampleOfTheVolumesLabelAndPatient() throws Exception {
        volume("a.nii.gz");
        volume("b.nii.gz");
        Path csv = Files.writeString(dir.resolve("volumes.csv"), "path,label,patient_id\na.nii.gz,tumour,p1\nb.nii.gz,healthy,\n");
        SampleSet set = ManifestReader.read(csv.toString(), OnBadRecord.FAIL);
        assertEquals(6, set.samples().size(), "3 foreground slices per volume; the empty one is left out");
        assertEquals(java.util.List.of("healthy", "tumour"), set.classNames());
        for (Sample s : set.samples()) {
            boolean a = s.id().contains("a.nii.gz");
            assertEquals(a ? 1 : 0, s.label(), s.id());
            assertEquals(1, s.image().channels());
            assertEquals(5, s.image().height());
            assertEquals(6, s.image().width());
            assertTrue(a ? s.patientId().equals("p1") : s.patientId().endsWith("b.nii.gz"), s.patientId());
        }
    }

    @Test
    void aTruncatedVolumeNamesTheRow() throws Exception {
        Path good = volume("a.nii.gz");
        Files.write(dir.resolve("cut.nii.gz"), TestFiles.cut(Files.readAllBytes(good), 40));
        Path csv = Files.writeString(dir.resolve("volumes.csv"), "path,label\na.nii.gz,0\ncut.nii.gz,1\n");
        BadRecordException e = assertThrows(BadRecordException.class, () -> ManifestReader.read(csv.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("row 3"), e.getMessage());
        assertEquals(1, ManifestReader.read(csv.toString(), OnBadRecord.SKIP).skipped());
    }
}
