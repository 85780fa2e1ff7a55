package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.Compress;
import io.metalr.udf.image.BadRecordException;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NiftiReaderTest {

    @TempDir
    Path dir;

    static Stream<Arguments> encodings() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            for (boolean gz : new boolean[] {false, true}) {
                for (int dt : new int[] {NiftiVolume.DT_UINT8, NiftiVolume.DT_INT8, NiftiVolume.DT_INT16,
                        NiftiVolume.DT_UINT16, NiftiVolume.DT_INT32, NiftiVolume.DT_FLOAT32, NiftiVolume.DT_FLOAT64}) {
                    b.add(Arguments.of(order, gz, dt));
                }
            }
        }
        return b.build();
    }

    private static double[] sample(int dt, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (dt) {
                case NiftiVolume.DT_UINT8 -> (i * 37) % 256;
                case NiftiVolume.DT_INT8 -> (i * 37) % 256 - 128;
                case NiftiVolume.DT_INT16 -> (i * 997) % 60000 - 30000;
                case NiftiVolume.DT_UINT16 -> (i * 997) % 65536;
                case NiftiVolume.DT_INT32 -> (i * 99991L) % 2000000 - 1000000;
                default -> (i - n / 2) * 0.25;
            };
        }
        return v;
    }

    @ParameterizedTest(name = "{0} gz={1} datatype={2}")
    @MethodSource("encodings")
    void readsEveryDatatypeInBothByteOrdersWithAndWithoutGzipAndScaling(ByteOrder order, boolean gz, int dt)
            throws Exception {
        int nx = 5, ny = 4, nz = 3;
        double[] stored = sample(dt, nx * ny * nz);
        float slope = 2f;
        float inter = -3f;
        byte[] nii = TestFiles.nifti(order, dt, nx, ny, nz, stored, slope, inter, 3, null);
        Path f = TestFiles.write(dir.resolve(gz ? "v.nii.gz" : "v.nii"), gz ? Compress.gzip(nii) : nii);
        NiftiVolume v = NiftiVolume.read(f.toString());
        assertEquals(List.of(nx, ny, nz), List.of(v.nx(), v.ny(), v.nz()));
        for (int i = 0; i < stored.length; i++) {
            assertEquals((float) (stored[i] * slope + inter), v.data()[i], 1e-3, "voxel " + i);
        }
        // (x, y, z) addressing: x fastest
        assertEquals(v.data()[(2 * ny + 1) * nx + 3], v.get(3, 1, 2));
    }

    @Test
    void slopeZeroMeansNoScaling() throws Exception {
        double[] stored = {1, 2, 3, 4, 5, 6, 7, 8};
        byte[] nii = TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_INT16, 2, 2, 2, stored, 0f, 100f, 3, null);
        NiftiVolume v = NiftiVolume.parse(nii, "s.nii");
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, v.data());
    }

    @Test
    void fourDimensionalFileWithOneVolumeIsAcceptedButNotTwo() {
        double[] stored = new double[8];
        byte[] ok = TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_UINT8, 2, 2, 2, stored, 1f, 0f, 4, null);
        assertEquals(2, NiftiVolume.parse(ok, "four.nii").nz());
        ok[48] = 2; // dim[4] = 2 (little-endian short at 48)
        BadRecordException e = assertThrows(BadRecordException.class, () -> NiftiVolume.parse(ok, "four.nii"));
        assertTrue(e.getMessage().contains("four.nii") && e.getMessage().contains("dim[4]"), e.getMessage());
    }

    @Test
    void truncatedFilesFailNamingTheFile() throws Exception {
        byte[] nii = TestFiles.nifti(ByteOrder.BIG_ENDIAN, NiftiVolume.DT_FLOAT32, 4, 4, 4, new double[64], 1f, 0f, 3, null);
        Path raw = TestFiles.write(dir.resolve("cut.nii"), TestFiles.cut(nii, nii.length - 10));
        BadRecordException e = assertThrows(BadRecordException.class, () -> NiftiVolume.read(raw.toString()));
        assertTrue(e.getMessage().contains("cut.nii") && e.getMessage().contains("truncated"), e.getMessage());

        Path header = TestFiles.write(dir.resolve("header.nii"), TestFiles.cut(nii, 200));
        e = assertThrows(BadRecordException.class, () -> NiftiVolume.read(header.toString()));
        assertTrue(e.getMessage().contains("header.nii") && e.getMessage().contains("truncated"), e.getMessage());

        byte[] gz = Compress.gzip(nii);
        Path cutGz = TestFiles.write(dir.resolve("cut.nii.gz"), TestFiles.cut(gz, gz.length / 2));
        e = assertThrows(BadRecordException.class, () -> NiftiVolume.read(cutGz.toString()));
        assertTrue(e.getMessage().contains("cut.nii.gz"), e.getMessage());

        // A T1 that is cut short fails the reader whatever onBadRecord says.
        Path atlas = TestFiles.write(dir.resolve("atlas.nii"), TestFiles.nifti(ByteOrder.LITTLE_ENDIAN,
                NiftiVolume.DT_UINT8, 4, 4, 4, new double[64], 1f, 0f, 3, null));
        NiftiSettings s = new NiftiSettings(atlas.toString(), 2, 0, 0, 0.1, 1, List.of(NiftiSettings.Region.of("a", "1")));
        e = assertThrows(BadRecordException.class, () -> NiftiReader.read(raw.toString(), s, OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("cut.nii"), e.getMessage());
    }

    @Test
    void badHeadersFailNamingTheFile() {
        byte[] nii = TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_UINT8, 2, 2, 2, new double[8], 1f, 0f, 3, null);
        byte[] size = nii.clone();
        size[0] = 0x10;
        BadRecordException e = assertThrows(BadRecordException.class, () -> NiftiVolume.parse(size, "bad.nii"));
        assertTrue(e.getMessage().contains("bad.nii") && e.getMessage().contains("sizeof_hdr"), e.getMessage());

        byte[] magic = nii.clone();
        magic[345] = 'i';
        e = assertThrows(BadRecordException.class, () -> NiftiVolume.parse(magic, "pair.nii"));
        assertTrue(e.getMessage().contains("pair.nii") && e.getMessage().contains(".hdr/.img"), e.getMessage());

        byte[] type = nii.clone();
        type[70] = (byte) 128; // RGB24
        BadRecordException u = assertThrows(BadRecordException.class, () -> NiftiVolume.parse(type, "rgb.nii"));
        assertTrue(u.getMessage().contains("rgb.nii") && u.getMessage().contains("128"), u.getMessage());

        byte[] twoD = nii.clone();
        twoD[40] = 2;
        e = assertThrows(BadRecordException.class, () -> NiftiVolume.parse(twoD, "flat.nii"));
        assertTrue(e.getMessage().contains("flat.nii"), e.getMessage());
    }

    /** An 8x8x4 T1 (value = 10 + x) and an atlas: left half 1, right half 5 but top-right quadrant 0. */
    private Path[] quadrants(ByteOrder order, boolean gz) {
        int nx = 8, ny = 8, nz = 4;
        double[] t1 = new double[nx * ny * nz];
        double[] atlas = new double[nx * ny * nz];
        for (int z = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                for (int x = 0; x < nx; x++) {
                    int i = (z * ny + y) * nx + x;
                    t1[i] = 10 + x;
                    atlas[i] = x < 4 ? 1 : (y < 4 ? 5 : 0);
                }
            }
        }
        // One patch of slice 1 (x 0..3, y 4..7) is mostly region 5 (10 voxels) against 1 (6 voxels).
        for (int y = 4; y < 8; y++) {
            for (int x = 0; x < 4; x++) {
                if ((y - 4) * 4 + x < 10) {
                    atlas[(1 * ny + y) * nx + x] = 6;
                }
            }
        }
        String ext = gz ? ".nii.gz" : ".nii";
        byte[] a = TestFiles.nifti(order, NiftiVolume.DT_INT16, nx, ny, nz, t1, 1f, 0f, 3, null);
        byte[] b = TestFiles.nifti(order, NiftiVolume.DT_UINT8, nx, ny, nz, atlas, 1f, 0f, 3, null);
        return new Path[] {
            TestFiles.write(dir.resolve("t1" + ext), gz ? Compress.gzip(a) : a),
            TestFiles.write(dir.resolve("atlas" + ext), gz ? Compress.gzip(b) : b),
        };
    }

    private static List<NiftiSettings.Region> twoRegions() {
        return List.of(NiftiSettings.Region.of("left", "1-2"), NiftiSettings.Region.of("right", "5, 6"));
    }

    @Test
    void patchesAreLabelledByMajorityAndDroppedWhenMostlyBackground() throws Exception {
        Path[] f = quadrants(ByteOrder.BIG_ENDIAN, true);
        NiftiSettings s = new NiftiSettings(f[1].toString(), 2, 4, 4, 0.5, 2, twoRegions());
        SampleSet set = NiftiReader.read(f[0].toString(), s, OnBadRecord.FAIL);
        assertEquals(List.of("left", "right"), set.classNames());
        assertEquals(0, set.skipped());
        // 4 slices x 4 patches, minus the top-right quadrant (all background) of each slice.
        assertEquals(12, set.samples().size());
        Map<String, Sample> byId = new HashMap<>();
        for (Sample sample : set.samples()) {
            byId.put(sample.id(), sample);
            assertEquals(1, sample.image().channels());
            assertEquals(4, sample.image().height());
            assertEquals(4, sample.image().width());
            assertEquals(null, sample.split());
        }
        assertEquals(0, byId.get("t1.nii.gz:z=0:y=0:x=0").label());
        assertEquals(1, byId.get("t1.nii.gz:z=0:y=0:x=4").label());
        assertEquals(0, byId.get("t1.nii.gz:z=0:y=4:x=0").label());
        assertEquals(1, byId.get("t1.nii.gz:z=1:y=4:x=0").label(), "10 of 16 voxels are region 6 -> right");
        assertTrue(!byId.containsKey("t1.nii.gz:z=0:y=4:x=4"));
        // slabs of 2 slices
        assertEquals("t1.nii.gz:slab0", byId.get("t1.nii.gz:z=1:y=0:x=0").patientId());
        assertEquals("t1.nii.gz:slab1", byId.get("t1.nii.gz:z=2:y=0:x=0").patientId());
        assertEquals("t1.nii.gz:slab1", byId.get("t1.nii.gz:z=3:y=0:x=0").patientId());
        // robust range of 10..17 (1st to 99th percentile): the row runs from 0 to 1, clipped
        float[] px = byId.get("t1.nii.gz:z=0:y=0:x=4").image().data();
        assertEquals(1f, px[3], 1e-6);
        float[] left = byId.get("t1.nii.gz:z=0:y=0:x=0").image().data();
        assertEquals(0f, left[0], 1e-6);
        for (float v : left) {
            assertTrue(v >= 0 && v <= 1);
        }
        float[] range = NiftiReader.robustRange(NiftiVolume.read(f[0].toString()));
        assertEquals(10f, range[0], 1e-6);
        assertEquals(17f, range[1], 1e-6);
        assertEquals((11 - range[0]) / (range[1] - range[0]), left[1], 1e-5);
    }

    @Test
    void minimumLabelledFractionAndStride() throws Exception {
        Path[] f = quadrants(ByteOrder.LITTLE_ENDIAN, false);
        NiftiSettings all = new NiftiSettings(f[1].toString(), 2, 4, 2, 0.0, 8, twoRegions());
        // stride 2 on 8 columns: corners 0, 2, 4 -> 9 per slice; with fraction 0, all but the empty ones
        SampleSet set = NiftiReader.read(f[0].toString(), all, OnBadRecord.FAIL);
        assertEquals(4 * 8, set.samples().size(), "the one all-background patch per slice is dropped");
        NiftiSettings strict = new NiftiSettings(f[1].toString(), 2, 4, 2, 1.0, 8, twoRegions());
        assertEquals(4 * 5, NiftiReader.read(f[0].toString(), strict, OnBadRecord.FAIL).samples().size());
    }

    @Test
    void wholeSlicesAlongEachAxisHaveTheRightShape() throws Exception {
        int nx = 8, ny = 6, nz = 4;
        double[] ones = new double[nx * ny * nz];
        java.util.Arrays.fill(ones, 1);
        Path t1 = TestFiles.write(dir.resolve("a.nii"), TestFiles.nifti(ByteOrder.LITTLE_ENDIAN,
                NiftiVolume.DT_FLOAT32, nx, ny, nz, sample(NiftiVolume.DT_FLOAT32, nx * ny * nz), 1f, 0f, 3, null));
        Path atlas = TestFiles.write(dir.resolve("b.nii"), TestFiles.nifti(ByteOrder.LITTLE_ENDIAN,
                NiftiVolume.DT_UINT8, nx, ny, nz, ones, 1f, 0f, 3, null));
        int[][] expect = {{nz, ny, nx}, {nz, nx, ny}, {ny, nx, nz}}; // rows, cols, slices
        for (int axis = 0; axis < 3; axis++) {
            NiftiSettings s = new NiftiSettings(atlas.toString(), axis, 0, 0, 0.5, 1,
                    List.of(NiftiSettings.Region.of("one", "1")));
            SampleSet set = NiftiReader.read(t1.toString(), s, OnBadRecord.FAIL);
            assertEquals(expect[axis][2], set.samples().size(), "axis " + axis);
            assertEquals(expect[axis][0], set.samples().get(0).image().height(), "axis " + axis);
            assertEquals(expect[axis][1], set.samples().get(0).image().width(), "axis " + axis);
        }
        NiftiSettings s = new NiftiSettings(atlas.toString(), 0, 0, 0, 0.5, 1, List.of(NiftiSettings.Region.of("one", "1")));
        assertEquals("a.nii:x=3:z=0:y=0", NiftiReader.read(t1.toString(), s, OnBadRecord.FAIL).samples().get(3).id());
    }

    @Test
    void nanVoxelIsABadRecord() throws Exception {
        int n = 4;
        double[] t1 = new double[n * n * n];
        double[] atlas = new double[n * n * n];
        for (int i = 0; i < t1.length; i++) {
            t1[i] = i;
            atlas[i] = 1;
        }
        t1[(2 * n + 1) * n + 1] = Double.NaN; // slice z=2
        Path a = TestFiles.write(dir.resolve("nan.nii"),
                TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_FLOAT32, n, n, n, t1, 1f, 0f, 3, null));
        Path b = TestFiles.write(dir.resolve("lab.nii"),
                TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_UINT8, n, n, n, atlas, 1f, 0f, 3, null));
        NiftiSettings s = new NiftiSettings(b.toString(), 2, 0, 0, 0.5, 1, List.of(NiftiSettings.Region.of("r", "1")));
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> NiftiReader.read(a.toString(), s, OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("nan.nii:z=2") && e.getMessage().contains("NaN"), e.getMessage());
        SampleSet set = NiftiReader.read(a.toString(), s, OnBadRecord.SKIP);
        assertEquals(3, set.samples().size());
        assertEquals(1, set.skipped());
    }

    @Test
    void t1OnAFinerGridIsResampledOntoTheAtlasByTheAffines() throws Exception {
        // Atlas: 4x4x4 at 2 mm from (0,0,0). T1: 8x8x8 at 1 mm, value = world x.
        double[] atlasAffine = {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0};
        double[] t1Affine = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
        double[] t1 = new double[512];
        for (int z = 0; z < 8; z++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    t1[(z * 8 + y) * 8 + x] = x;
                }
            }
        }
        double[] atlas = new double[64];
        java.util.Arrays.fill(atlas, 3);
        NiftiVolume fine = NiftiVolume.parse(TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_FLOAT32,
                8, 8, 8, t1, 1f, 0f, 3, t1Affine), "fine.nii");
        NiftiVolume coarse = NiftiVolume.parse(TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_UINT8,
                4, 4, 4, atlas, 1f, 0f, 3, atlasAffine), "coarse.nii");
        NiftiVolume r = fine.resampleTo(coarse);
        assertEquals(4, r.nx());
        for (int x = 0; x < 4; x++) {
            assertEquals(2 * x, r.get(x, 1, 2), 1e-5);
        }
        NiftiVolume noAffine = NiftiVolume.parse(TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_FLOAT32,
                8, 8, 8, t1, 1f, 0f, 3, null), "plain.nii");
        BadRecordException e = assertThrows(BadRecordException.class, () -> noAffine.resampleTo(coarse));
        assertTrue(e.getMessage().contains("plain.nii") && e.getMessage().contains("coarse.nii"), e.getMessage());
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new NiftiSettings("a", 3, 32, 16, 0.5, 8, NiftiSettings.aalCoarse()));
        assertThrows(IllegalArgumentException.class, () -> new NiftiSettings("a", 2, 32, 0, 0.5, 8, NiftiSettings.aalCoarse()));
        assertThrows(IllegalArgumentException.class, () -> new NiftiSettings("a", 2, 32, 16, 0.5, 8,
                List.of(NiftiSettings.Region.of("a", "1-5"), NiftiSettings.Region.of("b", "5-9"))));
        assertThrows(IllegalArgumentException.class, () -> NiftiSettings.Region.of("a", "x"));
        assertEquals(5, NiftiSettings.namedRegions("aal_coarse").size());
        assertEquals(List.of("nm_001_019", "nm_020_059", "nm_060_149", "nm_150_199", "nm_200_999"),
                NiftiSettings.namedRegions("INIA19-blocks").stream().map(NiftiSettings.Region::name).toList());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> NiftiSettings.namedRegions("lobes"));
        assertTrue(unknown.getMessage().contains("lobes") && unknown.getMessage().contains("inia19_blocks"), unknown.getMessage());
        // every AAL-116 value in exactly one region
        for (int v = 1; v <= 116; v++) {
            int hits = 0;
            for (NiftiSettings.Region r : NiftiSettings.aalCoarse()) {
                hits += r.contains(v) ? 1 : 0;
            }
            assertEquals(1, hits, "AAL value " + v);
        }
    }

    // ------------------------------------------------------------------ mricron-data (installed in CI)

    /** A patch set's class counts and slabs; every patch is checked to be 32x32. */
    private record Census(int[] counts, java.util.Set<String> slabs) {}

    private static Census census(SampleSet set) {
        int[] counts = new int[set.numClasses()];
        java.util.Set<String> slabs = new java.util.HashSet<>();
        for (Sample s : set.samples()) {
            counts[s.label()]++;
            slabs.add(s.patientId());
            assertEquals(32, s.image().height());
            assertEquals(32, s.image().width());
        }
        return new Census(counts, slabs);
    }

    private static final Path TEMPLATES = Path.of(NiftiSettings.MRICRON_TEMPLATES);

    @Test
    void mricronDemoGivesSeveralClassesWithSaneCounts() throws Exception {
        Path t1 = Path.of(NiftiSettings.MRICRON_T1);
        Path aal = Path.of(NiftiSettings.MRICRON_AAL);
        Assumptions.assumeTrue(Files.exists(t1) && Files.exists(aal), "mricron-data is not installed");
        SampleSet set = NiftiReader.read(t1.toString(), NiftiSettings.demoAal(aal.toString()), OnBadRecord.FAIL);
        Census census = census(set);
        int[] counts = census.counts();
        java.util.Set<String> slabs = census.slabs();
        System.out.println("mricron ch2bet + aal, patch 32 stride 16: " + set.classNames() + " "
                + java.util.Arrays.toString(counts) + " total " + set.samples().size() + " in " + slabs.size() + " slabs");
        assertEquals(5, set.numClasses());
        assertEquals(0, set.skipped());
        assertTrue(set.samples().size() > 3000 && set.samples().size() < 20000, "total " + set.samples().size());
        for (int c = 0; c < counts.length; c++) {
            assertTrue(counts[c] > set.samples().size() / 20, set.classNames().get(c) + ": " + counts[c]);
        }
        assertTrue(slabs.size() >= 10, "slabs " + slabs.size());
    }

    /**
     * The study's second task. The expected counts come from an independent cut of the same two
     * volumes (tests/fixtures/inia19_counts.py: numpy, majority structure block per patch, ties to
     * the lower class), not from this reader.
     */
    @Test
    void mricronInia19MacaqueTaskMatchesAnIndependentCut() throws Exception {
        Path t1 = Path.of(NiftiSettings.MRICRON_INIA19_T1);
        Path atlas = Path.of(NiftiSettings.MRICRON_INIA19_ATLAS);
        Assumptions.assumeTrue(Files.exists(t1) && Files.exists(atlas), "mricron-data is not installed");
        SampleSet set = NiftiReader.read(t1.toString(), NiftiSettings.demoInia19(atlas.toString()), OnBadRecord.FAIL);
        Census census = census(set);
        int[] counts = census.counts();
        java.util.Set<String> slabs = census.slabs();
        assertEquals(List.of("nm_001_019", "nm_020_059", "nm_060_149", "nm_150_199", "nm_200_999"), set.classNames());
        assertArrayEquals(new int[] {573, 696, 584, 467, 601}, counts);
        assertEquals(18, slabs.size());
        assertEquals(0, set.skipped());
        // every structure of the atlas falls in exactly one block (left v, right v + 1000)
        NiftiVolume volume = NiftiVolume.read(atlas.toString(), 1L << 30, new org.apache.hadoop.conf.Configuration());
        java.util.Set<Integer> values = new java.util.TreeSet<>();
        for (float a : volume.data()) {
            values.add(Math.round(a));
        }
        values.remove(0);
        for (int v : values) {
            int hits = 0;
            for (NiftiSettings.Region r : NiftiSettings.inia19Blocks()) {
                hits += r.contains(v) ? 1 : 0;
            }
            assertEquals(1, hits, "NeuroMaps value " + v);
        }
    }

    @Test
    void mricronCh2betterIsResampledOntoTheAalGrid() throws Exception {
        Path t1 = TEMPLATES.resolve("ch2better.nii.gz");
        Path aal = Path.of(NiftiSettings.MRICRON_AAL);
        Assumptions.assumeTrue(Files.exists(t1) && Files.exists(aal), "mricron-data is not installed");
        SampleSet set = NiftiReader.read(t1.toString(), NiftiSettings.demoAal(aal.toString()), OnBadRecord.FAIL);
        int[] counts = new int[set.numClasses()];
        for (Sample s : set.samples()) {
            counts[s.label()]++;
        }
        System.out.println("mricron ch2better (resampled) + aal, patch 32 stride 16: " + set.classNames() + " "
                + java.util.Arrays.toString(counts) + " total " + set.samples().size());
        for (int c : counts) {
            assertTrue(c > 100, java.util.Arrays.toString(counts));
        }
    }
}
