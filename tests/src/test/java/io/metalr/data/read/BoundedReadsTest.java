package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.Compress;
import io.metalr.udf.image.BadRecordException;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Untrusted data files cannot make a reader allocate what they merely declare: Zip64 fields,
 * deflate and gzip bombs, huge labels, corrupt Parquet are all refused as a
 * {@link BadRecordException} naming the file, and the refusal costs little memory (measured with
 * the thread's allocation counter).
 */
class BoundedReadsTest {

    /** Far below what any of the crafted files declare or inflate to. */
    private static final long SMALL = 64L << 20;

    @TempDir
    Path dir;

    /** What a call threw and how many bytes the calling thread allocated meanwhile. */
    record Outcome(Throwable thrown, long allocated) {}

    static Outcome measure(Executable call) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        Throwable thrown = null;
        try {
            call.execute();
        } catch (Throwable t) {
            thrown = t;
        }
        return new Outcome(thrown, threads.getCurrentThreadAllocatedBytes() - before);
    }

    static BadRecordException refused(Outcome o, String... names) {
        BadRecordException e = assertInstanceOf(BadRecordException.class, o.thrown());
        for (String n : names) {
            assertTrue(e.getMessage().contains(n), e.getMessage());
        }
        assertTrue(o.allocated() < SMALL, "allocated " + o.allocated() + " bytes to refuse: " + e.getMessage());
        return e;
    }

    // ------------------------------------------------------------------ npz

    /** One entry of a hand-made zip; zip64 sizes (null = none) go into a Zip64 extra field. */
    record Entry(String name, byte[] data, Long zip64Size, Long zip64CompressedSize) {
        Entry(String name, byte[] data) {
            this(name, data, null, null);
        }
    }

    /** A zip of deflated entries, sizes in the local headers, some central sizes as Zip64. */
    static byte[] zip(List<Entry> entries) {
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        List<Integer> offsets = new java.util.ArrayList<>();
        List<byte[]> deflated = new java.util.ArrayList<>();
        for (Entry e : entries) {
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            byte[] d = Compress.deflate(e.data());
            deflated.add(d);
            offsets.add(b.position());
            b.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 8).putInt(0)
                    .putInt(crc(e.data())).putInt(d.length).putInt(e.data().length).putShort((short) name.length)
                    .putShort((short) 0).put(name).put(d);
        }
        int cd = b.position();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            boolean z64 = e.zip64Size() != null;
            b.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 8)
                    .putInt(0).putInt(crc(e.data())).putInt(z64 ? -1 : deflated.get(i).length)
                    .putInt(z64 ? -1 : e.data().length).putShort((short) name.length).putShort((short) (z64 ? 20 : 0))
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(offsets.get(i))
                    .put(name);
            if (z64) {
                b.putShort((short) 1).putShort((short) 16).putLong(e.zip64Size()).putLong(e.zip64CompressedSize());
            }
        }
        int cdEnd = b.position();
        b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries.size())
                .putShort((short) entries.size()).putInt(cdEnd - cd).putInt(cd).putShort((short) 0);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static int crc(byte[] data) {
        CRC32 c = new CRC32();
        c.update(data);
        return (int) c.getValue();
    }

    private static final byte[] IMAGES = TestFiles.npyU1(new long[] {2, 4, 3}, TestFiles.grayPixels(2, 4, 3));
    private static final byte[] LABELS = TestFiles.npyU1Labels(0, 1);

    @Test
    void zip64SizesThatDoNotFitTheFileAreABadRecordNamingFileAndKey() {
        int compressed = Compress.deflate(IMAGES).length;
        // a negative inflated size (was NegativeArraySizeException), a compressed size past any file
        // (was an index out of bounds after the check wrapped around), one just past this file
        long[][] sizes = {{-8, compressed}, {IMAGES.length, Long.MAX_VALUE}, {IMAGES.length, 1L << 40}};
        for (long[] s : sizes) {
            byte[] npz = zip(List.of(new Entry("train_labels.npy", LABELS),
                    new Entry("train_images.npy", IMAGES, s[0], s[1])));
            Outcome o = measure(() -> MedMnistReader.parse(npz, "z64.npz", OnBadRecord.FAIL, 0));
            refused(o, "z64.npz key train_images");
        }
        // the same file with honest Zip64 sizes reads
        byte[] honest = zip(List.of(new Entry("train_labels.npy", LABELS),
                new Entry("train_images.npy", IMAGES, (long) IMAGES.length, (long) compressed)));
        assertEquals(2, MedMnistReader.parse(honest, "z64.npz", OnBadRecord.FAIL, 0).samples().size());
    }

    @Test
    void anEntryDeclaringMoreThanItsDeflatedBytesCanHoldIsRefusedWithoutAllocatingIt() {
        // 2 GB declared for a few hundred deflated bytes: the old reader allocated it before inflating
        byte[] npz = zip(List.of(new Entry("train_labels.npy", LABELS),
                new Entry("train_images.npy", IMAGES, (long) Integer.MAX_VALUE - 100, (long) Compress.deflate(IMAGES).length)));
        refused(measure(() -> MedMnistReader.parse(npz, "liar.npz", OnBadRecord.FAIL, 0)), "liar.npz key train_images");
    }

    /** A stored MedMNIST npz holding these images and {@link #LABELS}. */
    private static byte[] storedNpz(byte[] images) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", images);
        m.put("train_labels", LABELS);
        return TestFiles.npz(m, false);
    }

    @Test
    void aStoredEntryFailingItsCrcIsABadRecordNamingFileAndKey() {
        byte[] npz = storedNpz(IMAGES);
        int at = 0;
        while (!java.util.Arrays.equals(npz, at, at + IMAGES.length, IMAGES, 0, IMAGES.length)) {
            at++;
        }
        npz[at + IMAGES.length - 1] ^= 1; // one pixel: the data readers once took it as it came
        refused(measure(() -> MedMnistReader.parse(npz, "crc.npz", OnBadRecord.FAIL, 0)), "crc.npz key train_images", "CRC");
    }

    @Test
    void anArrayWithBytesAfterItsDataIsABadRecordNamingFileAndKey() {
        byte[] npz = storedNpz(java.util.Arrays.copyOf(IMAGES, IMAGES.length + 8));
        refused(measure(() -> MedMnistReader.parse(npz, "tail.npz", OnBadRecord.FAIL, 0)), "tail.npz key train_images",
                "needs 24 bytes, 32 present");
    }

    @Test
    void aDeflateBombOverTheLimitIsRefusedNamingFileAndKey() throws Exception {
        // an array of 48 MiB of zeros deflates to ~48 KB; the limit is 8 MiB
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", TestFiles.npyU1(new long[] {3 << 20, 4, 4}, new byte[48 << 20]));
        m.put("train_labels", LABELS);
        Path f = TestFiles.write(dir.resolve("bomb.npz"), TestFiles.npz(m, true));
        assertTrue(Files.size(f) < 1 << 20);
        DataLimits limits = new DataLimits(1000, 8 << 20);
        Outcome o = measure(() -> MedMnistReader.read(f.toString(), OnBadRecord.FAIL, 0, limits, DataPaths.configuration()));
        refused(o, "bomb.npz key train_images", "data.max_file_bytes");
    }

    @Test
    void aLabelPastAnyPlausibleClassCountIsABadRecordNotABillionClassNames() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images", IMAGES);
        m.put("train_labels", TestFiles.npyI8(new long[] {2}, new long[] {1, 1_000_000_000}, ByteOrder.LITTLE_ENDIAN));
        byte[] npz = TestFiles.npz(m, false);
        Outcome o = measure(() -> MedMnistReader.parse(npz, "labels.npz", OnBadRecord.FAIL, 0));
        refused(o, "labels.npz:train[1]", "out of range");
        SampleSet skipped = MedMnistReader.parse(npz, "labels.npz", OnBadRecord.SKIP, 0);
        assertEquals(1, skipped.skipped());
        assertEquals(List.of("0", "1"), skipped.classNames());
    }

    // ------------------------------------------------------------------ gzip

    /** 200 MiB of zeros as one gzip member (about 200 KB), appended after a valid member. */
    private static byte[] zerosMember() {
        return Compress.gzip(new byte[200 << 20]);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aNiftiGzipThatUnpacksToMoreThanItsHeaderDeclaresIsRefused() {
        byte[] nii = TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_UINT8, 4, 4, 4, new double[64], 1f, 0f, 3, null);
        Path f = TestFiles.write(dir.resolve("bomb.nii.gz"), concat(Compress.gzip(nii), zerosMember()));
        Outcome o = measure(() -> NiftiVolume.read(f.toString()));
        refused(o, "bomb.nii.gz", "header");
        // the volume alone reads
        Path ok = TestFiles.write(dir.resolve("ok.nii.gz"), Compress.gzip(nii));
        assertDoesNotThrowBadRecord(() -> NiftiVolume.read(ok.toString()));
    }

    @Test
    void aNiftiDeclaringMoreThanTheLimitIsRefusedBeforeItsVoxelsAreRead() {
        // 2000 x 2000 x 60 float64 voxels = 1.9 GB declared by a 352-byte header followed by zeros
        byte[] head = TestFiles.nifti(ByteOrder.LITTLE_ENDIAN, NiftiVolume.DT_UINT8, 1, 1, 1, new double[1], 1f, 0f, 3, null);
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(42, (short) 2000).putShort(44, (short) 2000).putShort(46, (short) 60).putShort(70, (short) 64);
        Path f = TestFiles.write(dir.resolve("huge.nii.gz"), concat(Compress.gzip(head), zerosMember()));
        Outcome o = measure(() -> NiftiVolume.read(f.toString(), 8 << 20, DataPaths.configuration()));
        refused(o, "huge.nii.gz", "data.max_file_bytes");
    }

    @Test
    void anIdxGzipBombAfterItsRecordsIsRefusedNamingTheFile() throws Exception {
        Path d = Files.createDirectories(dir.resolve("mnist"));
        TestFiles.write(d.resolve("train-images-idx3-ubyte.gz"),
                concat(Compress.gzip(TestFiles.idxImages(2, 3, 3, new byte[18])), zerosMember()));
        TestFiles.write(d.resolve("train-labels-idx1-ubyte.gz"), Compress.gzip(TestFiles.idxLabels(1, 2)));
        Outcome o = measure(() -> IdxReader.read(d.toString(), OnBadRecord.SKIP));
        refused(o, "train-images-idx3-ubyte.gz", "header");
    }

    @Test
    void aCsvManifestThatIsNotGzipThoughNamedSoIsABadRecord() {
        Path f = TestFiles.write(dir.resolve("m.csv.gz"), "path,label\na.png,1\n".getBytes(StandardCharsets.UTF_8));
        refused(measure(() -> ManifestReader.read(f.toString(), OnBadRecord.FAIL)), "m.csv.gz", "gzip");
    }

    // ------------------------------------------------------------------ images, Parquet

    @Test
    void anImageFileOverTheByteLimitIsABadRecordNamingIt() throws Exception {
        Path root = dir.resolve("imgs");
        TestFiles.write(root.resolve("a/big.png"), TestFiles.png(64, 64, 1, 0));
        TestFiles.write(root.resolve("a/small.png"), TestFiles.png(2, 2, 1, 0));
        DataLimits limits = new DataLimits(1_000_000, 200);
        SampleSet set = ImageFolderReader.read(root.toString(), OnBadRecord.SKIP, false, limits, DataPaths.configuration());
        assertEquals(1, set.samples().size());
        assertEquals(1, set.skipped());
        Outcome o = measure(() -> ImageFolderReader.read(root.toString(), OnBadRecord.FAIL, false, limits,
                DataPaths.configuration()));
        refused(o, "big.png", "data.max_file_bytes");
    }

    @Test
    void aCorruptParquetManifestIsABadRecordNamingItNotASparkFailure() throws Exception {
        Path csv = TestFiles.write(dir.resolve("src.csv"), "path,label\na.png,1\n".getBytes(StandardCharsets.UTF_8));
        Path out = dir.resolve("pq");
        TestFiles.spark().read().option("header", "true").csv(csv.toString()).coalesce(1).write().parquet(out.toString());
        Path part;
        try (var files = Files.list(out)) {
            part = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(part);
        // the footer's Thrift metadata overwritten: Spark fails reading it
        int footer = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(b.length - 8);
        for (int i = b.length - 8 - footer; i < b.length - 8 - footer / 2; i++) {
            b[i] = (byte) 0xff;
        }
        Path bad = TestFiles.write(dir.resolve("corrupt.parquet"), b);
        BadRecordException e = assertInstanceOf(BadRecordException.class,
                measure(() -> ManifestReader.read(bad.toString(), OnBadRecord.FAIL)).thrown());
        assertTrue(e.getMessage().contains("corrupt.parquet"), e.getMessage());
    }

    private static void assertDoesNotThrowBadRecord(Executable e) {
        Outcome o = measure(e);
        assertEquals(null, o.thrown(), () -> String.valueOf(o.thrown()));
    }
}
