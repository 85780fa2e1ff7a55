package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.TestSpark;
import io.metalr.data.Splits;
import io.metalr.data.load.InProcessLoader;
import io.metalr.data.load.LoadSpec;
import io.metalr.data.load.LoadedShards;
import io.metalr.data.load.LocalStores;
import io.metalr.data.load.RecordLoads;
import io.metalr.data.records.PartedSource;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;

import java.io.FileNotFoundException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A T1 and its atlas as records: the patch pass (in a Spark task, or on the driver without a
 * session) keeps ids, labels and slabs only; the one part's task cuts the pixels again. Records,
 * patients, ids, bad patches and stored floats are {@link NiftiReader#read}'s, bit for bit, and a
 * Spark load stores what an in-process load stores.
 */
class NiftiRecordsTest {

    static final Splits.Ratios RATIOS = FileRecordsTest.RATIOS;
    static final int NX = 12;
    static final int NY = 10;
    static final int NZ = 8;

    static final SparkSession spark = TestSpark.session();

    @TempDir
    Path dir;

    static LoadSpec spec(OnBadRecord onBad) {
        return FileRecordsTest.spec(onBad);
    }

    /**
     * A float T1 of noise, NaN at voxel (5, 3, 2) when asked, and an atlas of regions a, b and
     * background, and c (x >= 8, a quarter of it background) when asked.
     */
    Path[] volumes(boolean nan, boolean withC) {
        Random rng = new Random(7);
        double[] t1 = new double[NX * NY * NZ];
        double[] atlas = new double[t1.length];
        Random regions = new Random(3);
        for (int z = 0; z < NZ; z++) {
            for (int y = 0; y < NY; y++) {
                for (int x = 0; x < NX; x++) {
                    int i = (z * NY + y) * NX + x;
                    t1[i] = 100 + 50 * rng.nextGaussian() + 10 * x;
                    atlas[i] = x < 4 ? 1 : x < 8 ? (y < 5 ? 2 : 0) : regions.nextInt(4) == 0 || !withC ? 0 : 3;
                }
            }
        }
        if (nan) {
            t1[(2 * NY + 3) * NX + 5] = Double.NaN;
        }
        return new Path[] {
            TestFiles.write(dir.resolve("t1.nii"),
                    TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_FLOAT32, NX, NY, NZ, t1, 1f, 0f, 3, null)),
            TestFiles.write(dir.resolve("atlas.nii"),
                    TestFiles.nifti(ByteOrder.BIG_ENDIAN, NiftiVolume.DT_UINT8, NX, NY, NZ, atlas, 1f, 0f, 3, null)),
        };
    }

    static NiftiSettings settings(Path atlas) {
        return new NiftiSettings(atlas.toString(), 2, 4, 2, 0.5, 2, List.of(NiftiSettings.Region.of("a", "1"),
                NiftiSettings.Region.of("b", "2"), NiftiSettings.Region.of("c", "3")));
    }

    /** The records are today's samples: labels, patients, ids, skipped; rids count the bad patches. */
    static void sameAsToday(RecordTable rec, SampleSet today) {
        FileRecordsTest.sameAsSamples(rec, today);
        for (int i = 0; i < rec.size(); i++) {
            assertEquals(today.samples().get(i).id(), rec.where(rec.rid(i)));
        }
    }

    @Test
    void patchesLoadOnSparkAsInProcessWithTodaysFloatsAndBadPatches() throws Exception {
        Path[] f = volumes(true, true);
        NiftiSettings s = settings(f[1]);
        SampleSet today = NiftiReader.read(f[0].toString(), s, OnBadRecord.SKIP);
        assertEquals(4, today.skipped(), "four patches (2 rows x 2 columns of corners) hold the NaN voxel");

        RecordTable inTask = NiftiReader.records(f[0].toString(), s, OnBadRecord.SKIP, DataLimits.DEFAULTS,
                DataPaths.configuration(), spark);
        RecordTable here = NiftiReader.records(f[0].toString(), s, OnBadRecord.SKIP, DataLimits.DEFAULTS,
                DataPaths.configuration(), null);
        sameAsToday(inTask, today);
        sameAsToday(here, today);
        assertArrayEquals(here.rids(), inTask.rids());
        assertEquals(1, ((PartedSource<?>) inTask.source()).parts().size(), "one volume, one part");
        NiftiSource.Part part = (NiftiSource.Part) ((PartedSource<?>) inTask.source()).parts().get(0);
        assertEquals(today.samples().size() + 4, part.ids().length, "rids run over every patch, the bad ones too");
        assertTrue(today.samples().size() > 60, "patches: " + today.samples().size());

        Map<Long, float[]> ref = FileRecordsTest.reference(inTask, today);
        Placement p = Placement.of(inTask, RATIOS, 5, 2);
        // the patient-grouped split sees the slabs: no slab on two sides
        Map<String, Integer> sideOf = new java.util.HashMap<>();
        for (int i = 0; i < p.size(); i++) {
            String slab = inTask.patients()[java.util.Arrays.binarySearch(inTask.rids(), p.rid(i))];
            int side = p.split(i);
            assertEquals(sideOf.computeIfAbsent(slab, k -> side), side, slab);
        }
        LoadedShards loaded = RecordLoads.checkBothWays(spark, inTask, p, spec(OnBadRecord.FAIL), ref::get);
        assertEquals(today.samples().size(), loaded.images());
        LocalStores.release(loaded.dataKey());
    }

    @Test
    void aBadPatchOrAMissingFileFailsAsToday() throws Exception {
        Path[] f = volumes(true, true);
        NiftiSettings s = settings(f[1]);
        BadRecordException today = assertThrows(BadRecordException.class,
                () -> NiftiReader.read(f[0].toString(), s, OnBadRecord.FAIL));
        for (SparkSession session : new SparkSession[] {spark, null}) {
            BadRecordException e = assertThrows(BadRecordException.class, () -> NiftiReader.records(f[0].toString(), s,
                    OnBadRecord.FAIL, DataLimits.DEFAULTS, DataPaths.configuration(), session));
            assertEquals(today.getMessage(), e.getMessage());
            assertTrue(e.getMessage().startsWith("t1.nii:z=2:"), e.getMessage());
            assertThrows(FileNotFoundException.class, () -> NiftiReader.records(dir.resolve("none.nii").toString(), s,
                    OnBadRecord.FAIL, DataLimits.DEFAULTS, DataPaths.configuration(), session));
        }
    }

    @Test
    void anAtlasChangedSinceTheRecordsWereReadMakesBadRecordsNamingIt() throws Exception {
        Path[] f = volumes(false, true);
        NiftiSettings s = settings(f[1]);
        RecordTable rec = NiftiReader.records(f[0].toString(), s, OnBadRecord.FAIL, DataLimits.DEFAULTS,
                DataPaths.configuration(), null);
        volumes(false, false); // no region c: fewer patches kept
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> InProcessLoader.load(rec, Placement.of(rec, RATIOS, 5, 1), spec(OnBadRecord.FAIL)));
        assertTrue(e.getMessage().contains("t1.nii: no longer cuts into the patches") && e.getMessage().contains("atlas.nii"),
                e.getMessage());
    }

    @Test
    void mricronDemoRecordsAreTodaysSamples() throws Exception {
        Path t1 = Path.of(NiftiSettings.MRICRON_T1);
        Path aal = Path.of(NiftiSettings.MRICRON_AAL);
        Assumptions.assumeTrue(Files.exists(t1) && Files.exists(aal), "mricron-data is not installed");
        NiftiSettings s = NiftiSettings.demoAal(aal.toString());
        SampleSet today = NiftiReader.read(t1.toString(), s, OnBadRecord.FAIL);
        RecordTable rec = NiftiReader.records(t1.toString(), s, OnBadRecord.FAIL, DataLimits.DEFAULTS,
                DataPaths.configuration());
        sameAsToday(rec, today);
        Map<Long, float[]> ref = FileRecordsTest.reference(rec, today);
        today = null; // the reference keeps the floats
        LoadedShards loaded = RecordLoads.checkBothWays(spark, rec, Placement.of(rec, RATIOS, 3, 2),
                spec(OnBadRecord.FAIL), ref::get);
        LocalStores.release(loaded.dataKey());
    }
}
