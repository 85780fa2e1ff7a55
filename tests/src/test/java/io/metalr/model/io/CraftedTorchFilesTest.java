package io.metalr.model.io;

import static io.metalr.model.io.CraftedZip.deflated;
import static io.metalr.model.io.CraftedZip.stored;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.model.BadModelException;
import io.metalr.model.WeightFiles;
import io.metalr.model.io.TorchWeightsReaderTest.Pickle;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PyTorch files crafted to make a reader allocate far more than the file holds, or to throw
 * something other than a bad-model error: each is refused as a {@link BadModelException} naming
 * the file (and the tensor or zip entry), having allocated no more than a small multiple of the
 * file's size.
 */
class CraftedTorchFilesTest {

    /** Allocation allowed per read beyond 16 times the file: the exception, its message, the parse. */
    private static final long ALLOCATION_SLACK = 4 << 20;
    /** What unpickling costs: a one-byte opcode can make a tuple or a memo entry, about a hundred bytes. */
    private static final long PICKLE_BYTES_PER_BYTE = 160;

    @BeforeAll
    static void warmUp() throws IOException {
        // class loading and JIT allocate too; do it before anything is measured
        read(stateDict(1, new long[] {1}, new long[] {1}, 0), "warm-up.pt");
    }

    // ---------------------------------------------------------------- tensor views

    @Test
    void strideZeroCannotExpandATinyStorageIntoGigabytes() throws IOException {
        // one float, viewed as 2^26 floats (256 MB as float32): a file of a few hundred bytes
        byte[] pt = stateDict(1, new long[] {1L << 26}, new long[] {0}, 0);
        assertTrue(pt.length < 1024, pt.length + " bytes");
        BadModelException e = refused(pt, "expand.pt");
        assertTrue(e.getMessage().contains("'w'"), "names the tensor: " + e.getMessage());
        // and 2^32 values cannot even be counted in an int
        e = refused(stateDict(1, new long[] {1L << 16, 1L << 16}, new long[] {0, 0}, 0), "expand2.pt");
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void aSmallExpandedTensorStillReads() throws IOException {
        // torch.arange(3.).expand(4, 3) saved as is: stride (0, 1) over 3 floats
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("x/data.pkl", new Pickle().emptyDict()
                .str("w").floatTensor("0", 3, 0, new long[] {4, 3}, new long[] {0, 1}).setItem().stop());
        entries.put("x/data/0", TorchWeightsReaderTest.floatBytes(ByteOrder.LITTLE_ENDIAN, 1f, 2f, 3f));
        TensorData w = read(TorchWeightsReaderTest.zip(entries, false), "expanded.pt").get("w");
        assertArrayEquals(new long[] {4, 3}, w.shape());
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, w.floats());
    }

    @Test
    void negativeOrOverflowingSizesStridesAndOffsetsAreBadModels() throws IOException {
        String[] cases = {"negative-stride.pt", "negative-size.pt", "negative-offset.pt", "extent-overflow.pt",
                "offset-overflow.pt", "past-the-storage.pt"};
        byte[][] files = {
                stateDict(16, new long[] {4}, new long[] {-1}, 3),
                stateDict(16, new long[] {-4}, new long[] {1}, 0),
                stateDict(16, new long[] {4}, new long[] {1}, -1),
                stateDict(16, new long[] {3}, new long[] {1L << 62}, 0),
                stateDict(16, new long[] {2}, new long[] {1}, Long.MAX_VALUE),
                stateDict(16, new long[] {4, 4}, new long[] {5, 1}, 0), // needs 20 of 16 values
        };
        for (int i = 0; i < cases.length; i++) {
            BadModelException e = refused(files[i], cases[i]);
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("data/0"),
                    cases[i] + " names the tensor and its storage: " + e.getMessage());
        }
    }

    @Test
    void aTensorOfMoreDimensionsThanAnyModelHasIsRefused() throws IOException {
        long[] ones = new long[100];
        java.util.Arrays.fill(ones, 1);
        BadModelException e = refused(stateDict(1, ones, ones, 0), "rank-100.pt");
        assertTrue(e.getMessage().contains("100 dimensions"), e.getMessage());
    }

    @Test
    void manyViewsRepeatingOneStorageAreRefused() throws IOException {
        // 300 tensors each viewing the whole of one 64 KB storage: 19 MB of values from a 70 KB file
        int floats = 1 << 14;
        Pickle p = new Pickle().emptyDict();
        for (int i = 0; i < 300; i++) {
            p.str("w" + i).floatTensor("0", floats, 0, new long[] {floats}, new long[] {1}).setItem();
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("r/data.pkl", p.stop());
        entries.put("r/data/0", new byte[4 * floats]);
        BadModelException e = refused(TorchWeightsReaderTest.zip(entries, false), "repeated.pt");
        assertTrue(e.getMessage().matches("(?s).*'w\\d+'.*"), "names a tensor: " + e.getMessage());
    }

    @Test
    void tensorsOutsideTheStateDictAreNeverRead() throws IOException {
        // a checkpoint whose optimizer state refers to a storage that is not in the file
        byte[] pkl = new Pickle().emptyDict()
                .str("state_dict").emptyDict()
                    .str("w").floatTensor("0", 2, 0, new long[] {2}, new long[] {1}).setItem()
                .setItem()
                .str("optimizer").emptyDict()
                    .str("m").floatTensor("9", 1L << 40, 0, new long[] {1L << 20}, new long[] {0}).setItem()
                .setItem()
                .stop();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("c/data.pkl", pkl);
        entries.put("c/data/0", TorchWeightsReaderTest.floatBytes(ByteOrder.LITTLE_ENDIAN, 5f, 6f));
        LinkedHashMap<String, TensorData> tensors = read(TorchWeightsReaderTest.zip(entries, false), "ckpt.pt");
        assertEquals(List.of("w"), List.copyOf(tensors.keySet()));
        assertArrayEquals(new float[] {5f, 6f}, tensors.get("w").floats());
    }

    // ---------------------------------------------------------------- pickled values without end

    @Test
    void aTupleNestedAHundredThousandDeepAsDictKeyIsABadModel() {
        java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
        p.writeBytes(new byte[] {(byte) 0x80, 2, '}', 'N'});
        for (int i = 0; i < 100_000; i++) {
            p.write(0x85); // TUPLE1
        }
        p.writeBytes(new byte[] {'K', 1, 's', '.'});
        BadModelException e = refused(pt(p.toByteArray()), "nested-key.pt", PICKLE_BYTES_PER_BYTE);
        assertTrue(e.getMessage().contains("unhashable dict key"), e.getMessage());
    }

    @Test
    void tuplesSharingTuplesCannotMakeAKeyOrAMessageTakeForever() {
        // t0 = (None,), t(k+1) = (tk, tk) through the memo: 64 levels are 2^64 paths
        byte[] key = pt(sharedTuples(new byte[] {'}'}, new byte[] {'K', 1, 's', '.'}));
        byte[] pid = pt(sharedTuples(new byte[0], new byte[] {'Q', '.'}));
        java.time.Duration limit = java.time.Duration.ofSeconds(10);
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(limit, () -> refused(key, "shared-key.pt"));
        BadModelException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(limit,
                () -> refused(pid, "shared-pid.pt"));
        assertTrue(e.getMessage().contains("persistent id"), e.getMessage());
    }

    @Test
    void anOrderedDictKeyedByAListHoldingItselfIsABadModel() {
        byte[] pkl = new Pickle().global("collections", "OrderedDict").mark().op(']')
                .op(']').op('2').op('a') // L = []; L.append(L)
                .int1(1).op(0x86).op('a') // pairs.append((L, 1))
                .tuple().reduce().stop();
        BadModelException e = refused(pt(pkl), "self-key.pt");
        assertTrue(e.getMessage().contains("OrderedDict"), e.getMessage());
    }

    /** A pickle: {@code before}, t64 built from shared tuples on the stack, {@code after}. */
    private static byte[] sharedTuples(byte[] before, byte[] after) {
        java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
        p.writeBytes(new byte[] {(byte) 0x80, 2});
        p.writeBytes(before);
        p.writeBytes(new byte[] {'N', (byte) 0x85, 'q', 0, '0'});
        for (int k = 0; k < 64; k++) {
            p.writeBytes(new byte[] {'h', (byte) k, 'h', (byte) k, (byte) 0x86, 'q', (byte) (k + 1), '0'});
        }
        p.writeBytes(new byte[] {'h', 64});
        p.writeBytes(after);
        return p.toByteArray();
    }

    /** An archive holding only this data.pkl. */
    private static byte[] pt(byte[] pkl) {
        return new CraftedZip().add(stored("p/data.pkl", pkl)).bytes();
    }

    // ---------------------------------------------------------------- the zip container

    @Test
    void deflatedEntryDeclaringAGigabyteIsRefusedBeforeItIsAllocated() throws IOException {
        byte[] pt = archive(deflated("z/data/0", new byte[64]).declaringSize(1L << 30));
        BadModelException e = refused(pt, "bomb.pt");
        assertTrue(e.getMessage().contains("z/data/0"), "names the entry: " + e.getMessage());
    }

    @Test
    void deflatedEntryInflatingToMoreThanDeclaredIsRefused() throws IOException {
        // 64 floats deflated, declared (and CRC'd) as their first 8 bytes: the rest would be silently dropped
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        CraftedZip.Entry data = deflated("z/data/0", all).declaringSize(8)
                .withCrc(CraftedZip.crc(java.util.Arrays.copyOf(all, 8)));
        BadModelException e = refused(archive(data, 2), "overlong.pt");
        assertTrue(e.getMessage().contains("z/data/0") && e.getMessage().contains("more than"), e.getMessage());
    }

    @Test
    void storedEntryDeclaringMoreThanTheFileIsRefused() throws IOException {
        CraftedZip.Entry data = stored("z/data/0", new byte[64]);
        for (long declared : new long[] {0xfffffffeL, 1L << 31, 65}) {
            BadModelException e = refused(archive(data.declaring(declared, declared)), "stored-" + declared + ".pt");
            assertTrue(e.getMessage().contains("z/data/0"), "names the entry: " + e.getMessage());
        }
        // stored with two different sizes
        BadModelException e = refused(archive(data.declaring(64, 32)), "stored-mismatch.pt");
        assertTrue(e.getMessage().contains("z/data/0"), e.getMessage());
    }

    @Test
    void zip64FieldsOutOfRangeAreBadModels() throws IOException {
        CraftedZip.Entry data = stored("z/data/0", new byte[64]).asZip64();
        for (long declared : new long[] {-5L, Long.MAX_VALUE, 1L << 40}) { // -5: above 2^63 unsigned
            BadModelException e = refused(archive(data.declaring(declared, declared)), "zip64-" + declared + ".pt");
            assertTrue(e.getMessage().contains("z/data/0"), "names the entry: " + e.getMessage());
        }
        // a zip64 end record that is not where its locator says
        byte[] pt = new CraftedZip().add(stored("z/data.pkl", pickle(16))).add(data)
                .withZip64EndAt(1L << 50).bytes();
        refused(pt, "zip64-end.pt");
    }

    @Test
    void wellFormedZip64ArchiveReads() throws IOException {
        byte[] floats = TorchWeightsReaderTest.floatBytes(ByteOrder.LITTLE_ENDIAN, 1f, 2f, 3f, 4f);
        byte[] pt = new CraftedZip().add(stored("z/data.pkl", pickle(4)).asZip64())
                .add(stored("z/data/0", floats).asZip64()).withZip64End().bytes();
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, read(pt, "zip64.pt").get("w").floats());
    }

    @Test
    void zipWithoutEntriesOrWithACutDirectoryIsABadModel() throws IOException {
        refused(new CraftedZip().bytes(), "no-entries.pt");
        byte[] whole = archive(stored("z/data/0", new byte[64]));
        byte[] cut = java.util.Arrays.copyOfRange(whole, 0, whole.length - 30); // into the central directory
        refused(cut, "cut.pt");
        // the end record claims a central directory larger than the file
        byte[] lying = whole.clone();
        java.nio.ByteBuffer.wrap(lying).order(ByteOrder.LITTLE_ENDIAN).putInt(lying.length - 22 + 12, 1 << 30);
        refused(lying, "lying-directory.pt");
    }

    // ================================================================ helpers

    /** {"w": view of storage data/0 (numel floats) with this size, stride and offset}; the storage holds numel floats. */
    private static byte[] stateDict(long numel, long[] size, long[] stride, long offset) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("s/data.pkl", new Pickle().emptyDict()
                .str("w").floatTensor("0", numel, offset, size, stride).setItem().stop());
        entries.put("s/data/0", new byte[(int) (4 * Math.min(numel, 1 << 20))]);
        return TorchWeightsReaderTest.zip(entries, false);
    }

    /** {"w": 1-d tensor of n floats in data/0} */
    private static byte[] pickle(long n) {
        return new Pickle().emptyDict().str("w").floatTensor("0", n, 0, new long[] {n}, new long[] {1}).setItem().stop();
    }

    /** data.pkl for a tensor of 16 floats (or n), and the given storage entry. */
    private static byte[] archive(CraftedZip.Entry storage) {
        return archive(storage, 16);
    }

    private static byte[] archive(CraftedZip.Entry storage, long n) {
        return new CraftedZip().add(stored("z/data.pkl", pickle(n))).add(storage).bytes();
    }

    private static LinkedHashMap<String, TensorData> read(byte[] file, String name) throws IOException {
        return WeightFiles.read(new ByteArrayInputStream(file), name);
    }

    /**
     * Reading must fail with a BadModelException naming the file, having allocated at most 16
     * times the file's size (or {@code bytesPerByte} times), plus a little for the exception.
     */
    static BadModelException refused(byte[] file, String name) {
        return refused(file, name, 16);
    }

    static BadModelException refused(byte[] file, String name, long bytesPerByte) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        BadModelException e = assertThrows(BadModelException.class, () -> read(file, name), name);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage() != null && e.getMessage().contains(name), "names the file: " + e.getMessage());
        assertTrue(allocated < bytesPerByte * file.length + ALLOCATION_SLACK,
                name + " (" + file.length + " bytes) made the reader allocate " + allocated + " bytes");
        return e;
    }
}
