package io.metalr.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads the fixtures written by tests/fixtures/make_torch_fixtures.py (real torch 1.13) from the
 * classpath under torch/, and checks them against torch's own dump, expected_values.json.
 */
class TorchWeightsReaderTest {

    /** The reference CNN's state_dict order, as torch lists it (parameters and buffers). */
    private static final List<String> REFERENCE_NAMES = List.of(
            "conv1.weight",
            "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
            "conv2.weight", "conv2.bias",
            "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
            "fc.weight", "fc.bias");

    private static JsonNode expected;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadExpectedValues() throws IOException {
        // torch's json.dump writes Infinity for the float16 infinity in mixed_dtypes.
        JsonMapper mapper = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
        expected = mapper.readTree(fixtureBytes("expected_values.json"));
    }

    // ---------------------------------------------------------------- the reference CNN

    @ParameterizedTest
    @ValueSource(strings = {"reference_cnn_state_dict.pt", "reference_cnn_scripted.pt",
            "reference_cnn_traced.pt", "reference_cnn_wrapped.pt"})
    void referenceCnnHasStateDictNamesShapesAndTheNpzBeforeValues(String file) throws IOException {
        LinkedHashMap<String, TensorData> tensors = readFixture(file);

        assertEquals(REFERENCE_NAMES, new ArrayList<>(tensors.keySet()), file);
        assertEquals(REFERENCE_NAMES, fieldNames(expected.get("reference_cnn")), "fixture dump order");
        for (String name : REFERENCE_NAMES) {
            assertMatches(expected.get("reference_cnn").get(name), tensors.get(name), file + " " + name);
        }
        assertArrayEquals(new long[] {4, 1, 3, 3}, tensors.get("conv1.weight").shape());
        assertArrayEquals(new long[] {8, 4, 3, 3}, tensors.get("conv2.weight").shape());
        assertArrayEquals(new long[] {3, 8}, tensors.get("fc.weight").shape());
        assertFalse(tensors.containsKey("conv1.bias"), "conv1 has no bias");
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference_cnn_state_dict.pt", "reference_cnn_scripted.pt",
            "reference_cnn_traced.pt", "reference_cnn_wrapped.pt"})
    void numBatchesTrackedIsAnInt64Scalar(String file) throws IOException {
        LinkedHashMap<String, TensorData> tensors = readFixture(file);
        long want = expected.get("num_batches_tracked").longValue();
        for (String bn : List.of("bn1", "bn2")) {
            TensorData t = tensors.get(bn + ".num_batches_tracked");
            assertNotNull(t, file + " " + bn);
            assertEquals("int64", t.dtype());
            assertArrayEquals(new long[0], t.shape(), "0-dim");
            assertEquals(1, t.numel());
            assertNull(t.floats());
            assertArrayEquals(new long[] {want}, t.longs());
        }
    }

    @Test
    void allFourReferenceFilesGiveIdenticalTensors() throws IOException {
        LinkedHashMap<String, TensorData> stateDict = readFixture("reference_cnn_state_dict.pt");
        for (String file : List.of("reference_cnn_scripted.pt", "reference_cnn_traced.pt", "reference_cnn_wrapped.pt")) {
            assertEquals(stateDict, readFixture(file), file);
        }
    }

    @Test
    void wrapperDictIsUnwrappedAndDataParallelPrefixStripped() throws IOException {
        // The file holds {"epoch": 3, "state_dict": {"module.conv1.weight": ..., ...}}.
        LinkedHashMap<String, TensorData> tensors = readFixture("reference_cnn_wrapped.pt");
        assertEquals(REFERENCE_NAMES, new ArrayList<>(tensors.keySet()));
        tensors.forEach((name, t) -> assertEquals(name, t.name(), "TensorData.name follows the stripped key"));
        assertFalse(tensors.containsKey("epoch"));
    }

    @Test
    void wrapperKeysAreTriedInOrderAndPrefixIsKeptWhenNotOnEveryName() throws IOException {
        byte[] twoWrappers = new Pickle()
                .emptyDict()
                .str("epoch").int1(7).setItem()
                .str("model").emptyDict()
                    .str("module.w").floatTensor("0", 0, new long[] {2}, new long[] {1}).setItem()
                    .str("b").floatTensor("0", 1, new long[] {1}, new long[] {1}).setItem()
                .setItem()
                .stop();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("ckpt/data.pkl", twoWrappers);
        entries.put("ckpt/data/0", floatBytes(ByteOrder.LITTLE_ENDIAN, 1f, 2f, 3f));
        LinkedHashMap<String, TensorData> tensors = read(zip(entries, false), "two-wrappers.pt");
        assertEquals(List.of("module.w", "b"), new ArrayList<>(tensors.keySet()));
        assertArrayEquals(new float[] {1f, 2f}, tensors.get("module.w").floats());
        assertArrayEquals(new float[] {2f}, tensors.get("b").floats(), "shares storage 0 at offset 1");
    }

    @Test
    void scriptedModulesReturnOnlyTensorAttributesNotConstantsOrFlags() throws IOException {
        for (String file : List.of("reference_cnn_scripted.pt", "reference_cnn_traced.pt")) {
            assertTrue(zipNames(fixtureBytes(file)).stream().anyMatch(n -> n.endsWith("/constants.pkl")),
                    file + " is a TorchScript archive");
            LinkedHashMap<String, TensorData> tensors = readFixture(file);
            assertEquals(15, tensors.size(), file);
            assertTrue(tensors.keySet().stream().noneMatch(n -> n.endsWith("training")), file);
        }
    }

    // ---------------------------------------------------------------- dtypes, views, storages

    @ParameterizedTest
    @ValueSource(strings = {"mixed_dtypes.pt", "mixed_dtypes_protocol4.pt"})
    void mixedDtypesMatchTorchsOwnValues(String file) throws IOException {
        LinkedHashMap<String, TensorData> tensors = readFixture(file);
        JsonNode mixed = expected.get("mixed_dtypes");
        assertEquals(fieldNames(mixed), new ArrayList<>(tensors.keySet()), file);
        for (String name : fieldNames(mixed)) {
            assertMatches(mixed.get(name), tensors.get(name), file + " " + name);
        }
    }

    @Test
    void dtypeConversions() throws IOException {
        LinkedHashMap<String, TensorData> t = readFixture("mixed_dtypes.pt");
        // float16: 0.333 rounds to 0.3330078125; 6.1e-5 and 1e-7 are subnormals; inf and -0.0 survive.
        assertArrayEquals(new float[] {1f, -2.5f, 0.3330078125f, 65504f, 6.097555160522461e-05f,
                0x1p-23f, Float.POSITIVE_INFINITY, -0f}, t.get("half").floats());
        assertArrayEquals(new float[] {1f / 3, -2f, 0f, 12345.678f}, t.get("double").floats(), "float64 -> float32");
        assertArrayEquals(new float[] {1f, -3.140625f, 256f}, t.get("bfloat").floats());
        assertArrayEquals(new long[] {-1, 0, 1L << 40, 7}, t.get("long").longs());
        assertArrayEquals(new long[] {-5, 6, 7, Integer.MIN_VALUE}, t.get("int").longs());
        assertArrayEquals(new long[] {-32768, 1, 32767}, t.get("short").longs());
        assertArrayEquals(new long[] {-128, -1, 127}, t.get("char").longs());
        assertArrayEquals(new long[] {0, 1, 255}, t.get("byte").longs(), "uint8 is unsigned");
        assertArrayEquals(new long[] {1, 0, 1}, t.get("flag").longs());
        assertEquals("bool", t.get("flag").dtype());
        assertArrayEquals(new long[] {42}, t.get("scalar").longs());
        assertArrayEquals(new long[0], t.get("scalar").shape());
    }

    @Test
    void nonContiguousViewIsCopiedInRowMajorOrder() throws IOException {
        // base = arange(12).reshape(3, 4) * 0.5 - 1 was saved as base.t(): shape (4, 3), stride (1, 4).
        TensorData t = readFixture("mixed_dtypes.pt").get("transposed");
        assertArrayEquals(new long[] {4, 3}, t.shape());
        float[] want = new float[12];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                want[i * 3 + j] = (j * 4 + i) * 0.5f - 1f;
            }
        }
        assertArrayEquals(want, t.floats());
    }

    @Test
    void viewsOfOneSharedStorageHonourOffsetSizeAndStride() throws IOException {
        // shared = arange(10) * 1.5; saved views shared[1:4], shared[5:].view(5, 1), shared[::3].
        LinkedHashMap<String, TensorData> t = readFixture("mixed_dtypes.pt");
        assertEquals(1, countStorages(fixtureBytes("mixed_dtypes.pt"), 10 * 4),
                "the three views are saved as one 10-float storage");
        assertArrayEquals(new float[] {1.5f, 3f, 4.5f}, t.get("shared_head").floats());
        assertArrayEquals(new long[] {5, 1}, t.get("shared_tail").shape());
        assertArrayEquals(new float[] {7.5f, 9f, 10.5f, 12f, 13.5f}, t.get("shared_tail").floats());
        assertArrayEquals(new float[] {0f, 4.5f, 9f, 13.5f}, t.get("strided").floats());
    }

    @Test
    void deflatedArchiveReadsTheSame() throws IOException {
        // torch stores entries uncompressed, but a re-zipped file may be deflated.
        for (String file : List.of("reference_cnn_scripted.pt", "mixed_dtypes.pt")) {
            byte[] deflated = rewrite(fixtureBytes(file), UnaryOperator.identity(), true);
            assertEquals(readFixture(file), read(deflated, file + " (deflated)"), file);
        }
    }

    @Test
    void bigEndianByteOrderRecordIsHonoured() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("be/data.pkl", new Pickle().emptyDict()
                .str("w").floatTensor("0", 0, new long[] {2, 2}, new long[] {1, 2}).setItem().stop());
        entries.put("be/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        entries.put("be/data/0", floatBytes(ByteOrder.BIG_ENDIAN, 1f, 2f, 3f, 4f));
        TensorData w = read(zip(entries, false), "big-endian.pt").get("w");
        assertArrayEquals(new float[] {1f, 3f, 2f, 4f}, w.floats(), "transposed 2x2 read big-endian");
    }

    @Test
    void readByPathNamesThePath() throws IOException {
        Path good = tmp.resolve("weights.pt");
        Files.write(good, fixtureBytes("reference_cnn_state_dict.pt"));
        assertEquals(readFixture("reference_cnn_state_dict.pt"), TorchWeightsReader.read(good));

        Path legacy = tmp.resolve("old-weights.pt");
        Files.write(legacy, fixtureBytes("legacy_format.pt"));
        IOException e = assertThrows(IOException.class, () -> TorchWeightsReader.read(legacy));
        assertTrue(e.getMessage().contains(legacy.toString()), e.getMessage());
    }

    // ---------------------------------------------------------------- refusals

    @Test
    void legacyFormatIsRefusedWithAHint() {
        IOException e = readFails(fixtureBytes("legacy_format.pt"), "legacy_format.pt");
        assertTrue(e.getMessage().contains("legacy"), e.getMessage());
        assertTrue(e.getMessage().contains("re-save it with a current torch"), e.getMessage());
    }

    @Test
    void truncatedCopiesAreRefused() {
        byte[] full = fixtureBytes("reference_cnn_scripted.pt");
        for (int length : new int[] {full.length / 2, full.length - 5, 100}) {
            byte[] cut = java.util.Arrays.copyOf(full, length);
            IOException e = readFails(cut, "cut-" + length + ".pt");
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void garbageAndEmptyInputAreNotAZip() {
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        assertTrue(readFails(garbage, "garbage.bin").getMessage().contains("not a zip"));
        assertTrue(readFails(new byte[0], "empty.pt").getMessage().contains("empty"));
        assertTrue(readFails("hello, not weights".getBytes(StandardCharsets.UTF_8), "hello.txt")
                .getMessage().contains("not a PyTorch weight file"));
    }

    /** A list appended to itself, then used as a dict key: hashing it would recurse without end. */
    @Test
    void aSelfReferencingPickleIsABadModelNotAStackOverflow() throws IOException {
        byte[] pickle = {(byte) 0x80, 2, '}', ']', '2', 'a', 'N', 's', '.'};
        byte[] pt = zip(Map.of("archive/data.pkl", pickle, "archive/version", "3\n".getBytes(StandardCharsets.UTF_8)), false);
        IOException e = readFails(pt, "loop.pt");
        assertTrue(e instanceof io.metalr.model.BadModelException, e.getClass() + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("unhashable dict key"), e.getMessage());
        // a pickle cut short: a bad model file too
        IOException cut = readFails(zip(Map.of("archive/data.pkl", new byte[] {(byte) 0x80, 2, 's', '.'},
                "archive/version", "3\n".getBytes(StandardCharsets.UTF_8)), false), "underflow.pt");
        assertTrue(cut instanceof io.metalr.model.BadModelException, cut.getClass() + ": " + cut.getMessage());
    }

    @Test
    void zipWithoutDataPklIsRefused() throws IOException {
        byte[] plainZip = zip(Map.of("docs/readme.txt", "hi".getBytes(StandardCharsets.UTF_8)), true);
        IOException e = readFails(plainZip, "docs.zip");
        assertTrue(e.getMessage().contains("data.pkl"), e.getMessage());
    }

    @Test
    void missingStorageRecordIsRefused() throws IOException {
        byte[] noData3 = rewrite(fixtureBytes("mixed_dtypes.pt"),
                entries -> without(entries, "mixed_dtypes/data/3"), false);
        IOException e = readFails(noData3, "no-data-3.pt");
        assertTrue(e.getMessage().contains("data/3"), e.getMessage());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void storageShorterThanTheViewIsRefused() throws IOException {
        // The transposed view's storage is the only one of 12 floats (48 bytes); keep 5 of them.
        Map<String, byte[]> entries = unzip(fixtureBytes("mixed_dtypes.pt"));
        String record = entries.entrySet().stream()
                .filter(e -> e.getKey().contains("/data/") && e.getValue().length == 48)
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        entries.put(record, java.util.Arrays.copyOf(entries.get(record), 20));
        IOException e = readFails(zip(entries, false), "short-storage.pt");
        assertTrue(e.getMessage().contains(record.substring(record.indexOf("data/"))), e.getMessage());
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void corruptedStorageFailsTheCrcCheck() {
        byte[] bytes = fixtureBytes("reference_cnn_state_dict.pt");
        float first = (float) expected.get("reference_cnn").get("conv2.weight").get("values").get(0).doubleValue();
        int at = indexOf(bytes, floatBytes(ByteOrder.LITTLE_ENDIAN, first));
        assertTrue(at > 0, "conv2.weight data found in the file");
        bytes[at] ^= 1;
        IOException e = readFails(bytes, "bit-flip.pt");
        assertTrue(e.getMessage().contains("CRC"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void pickleNamingOsSystemIsRefusedBeforeAnythingIsCalled(int protocol) throws IOException {
        // What a malicious file does: os.system("touch pwned") through REDUCE.
        Pickle p = new Pickle().proto(protocol);
        p = protocol >= 4 ? p.str("os").str("system").stackGlobal() : p.global("os", "system");
        byte[] evil = p.str("touch pwned").tuple1().reduce().stop();
        IOException e = readFails(zip(Map.of("evil/data.pkl", evil), false), "evil-" + protocol + ".pt");
        assertTrue(e.getMessage().contains("'os.system'"), e.getMessage());
        assertTrue(e.getMessage().contains("not allowed"), e.getMessage());
    }

    @Test
    void pickledPythonModelClassIsRefused() throws IOException {
        // torch.save(model) pickles the user's class, e.g. __main__.Net, instead of a state dict.
        byte[] model = new Pickle().global("__main__", "Net").emptyTuple().newObj().emptyDict().build().stop();
        IOException e = readFails(zip(Map.of("m/data.pkl", model), false), "whole-model.pt");
        assertTrue(e.getMessage().contains("'__main__.Net'"), e.getMessage());
        assertTrue(e.getMessage().contains("state_dict()"), e.getMessage());
    }

    @Test
    void torchScriptClassCannotBeCalledThroughReduce() throws IOException {
        // __torch__ classes are only data holders for NEWOBJ; calling one must not be possible.
        byte[] call = new Pickle().global("__torch__", "Net").emptyTuple().reduce().stop();
        IOException e = readFails(zip(Map.of("m/data.pkl", call), false), "reduce-class.pt");
        assertTrue(e.getMessage().contains("not a whitelisted function"), e.getMessage());
    }

    @Test
    void dictWithoutTensorsIsNotAStateDict() throws IOException {
        byte[] pkl = new Pickle().emptyDict().str("epoch").int1(3).setItem().stop();
        IOException e = readFails(zip(Map.of("c/data.pkl", pkl), false), "no-weights.pt");
        assertTrue(e.getMessage().contains("no state dict found"), e.getMessage());
    }

    @Test
    void cyclicTorchScriptObjectIsNotFollowedForever() throws IOException {
        // m = __torch__.M(); m.__dict__ = {"self": m, "w": tensor}: a cycle no real module has.
        byte[] pkl = new Pickle().global("__torch__", "M").emptyTuple().newObj().op('q').op(0)
                .emptyDict().str("self").op('h').op(0).setItem()
                .str("w").floatTensor("0", 0, new long[] {1}, new long[] {1}).setItem()
                .build().stop();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("c/data.pkl", pkl);
        entries.put("c/data/0", floatBytes(ByteOrder.LITTLE_ENDIAN, 5f));
        LinkedHashMap<String, TensorData> tensors = read(zip(entries, false), "cycle.pt");
        assertEquals(List.of("w"), new ArrayList<>(tensors.keySet()));
    }

    @Test
    void deeplyNestedModulesDoNotOverflowTheStack() throws IOException {
        int depth = 20_000;
        Pickle p = new Pickle().global("__torch__", "M").op('q').op(0).emptyTuple().newObj().emptyDict().str("m");
        for (int i = 1; i < depth; i++) {
            p.op('h').op(0).emptyTuple().newObj().emptyDict().str("m");
        }
        p.op('h').op(0).emptyTuple().newObj().emptyDict()
                .str("w").floatTensor("0", 0, new long[] {1}, new long[] {1}).setItem().build();
        for (int i = 0; i < depth; i++) {
            p.setItem().build();
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("d/data.pkl", p.stop());
        entries.put("d/data/0", floatBytes(ByteOrder.LITTLE_ENDIAN, 5f));
        LinkedHashMap<String, TensorData> tensors = read(zip(entries, false), "deep.pt");
        assertEquals(List.of("m.".repeat(depth) + "w"), new ArrayList<>(tensors.keySet()));
    }

    @Test
    void chainOfSharedSubmodulesCannotExplode() throws IOException {
        // obj[k] = {"a": obj[k+1], "b": obj[k+1]}: 2^60 attribute paths from 61 objects.
        int depth = 60;
        Pickle p = new Pickle();
        for (int k = 0; k <= depth; k++) {
            p.global("__torch__", "M").emptyTuple().newObj().op('q').op(k).op('0');
        }
        for (int k = 0; k < depth; k++) {
            p.op('h').op(k).emptyDict()
                    .str("a").op('h').op(k + 1).setItem()
                    .str("b").op('h').op(k + 1).setItem()
                    .build().op('0');
        }
        byte[] pkl = p.op('h').op(depth).emptyDict().build().op('0').op('h').op(0).stop();
        IOException e = readFails(zip(Map.of("x/data.pkl", pkl), false), "diamonds.pt");
        assertTrue(e.getMessage().contains("implausibly large"), e.getMessage());
    }

    // ---------------------------------------------------------------- the torchvision spec fixture

    @Test
    void resnetParamSpecsAreConsistent() throws IOException {
        JsonNode specs = JsonMapper.builder().build().readTree(fixtureBytes("resnet_param_specs.json"));
        Map<String, long[]> known = Map.of( // torchvision's published parameter counts
                "resnet18", new long[] {11_689_512L, 122},
                "resnet34", new long[] {21_797_672L, 218},
                "resnet50", new long[] {25_557_032L, 320});
        for (Map.Entry<String, long[]> arch : known.entrySet()) {
            JsonNode spec = specs.get(arch.getKey());
            JsonNode entries = spec.get("state_dict");
            long trainable = 0;
            for (JsonNode entry : entries) {
                String name = entry.get(0).asText();
                long numel = 1;
                for (JsonNode d : entry.get(1)) {
                    numel *= d.longValue();
                }
                boolean buffer = name.endsWith("running_mean") || name.endsWith("running_var")
                        || name.endsWith("num_batches_tracked");
                trainable += buffer ? 0 : numel;
            }
            assertEquals(arch.getValue()[0], spec.get("trainable_parameters").longValue(), arch.getKey());
            assertEquals(arch.getValue()[0], trainable, arch.getKey() + " parameters from the shapes");
            assertEquals(arch.getValue()[1], entries.size(), arch.getKey() + " state_dict entries");
            assertEquals("conv1.weight", entries.get(0).get(0).asText());
            assertEquals("fc.bias", entries.get(entries.size() - 1).get(0).asText());
        }
    }

    // ================================================================ helpers

    private static void assertMatches(JsonNode want, TensorData got, String what) {
        assertNotNull(got, what);
        assertEquals(want.get("dtype").asText(), got.dtype(), what);
        long[] shape = new long[want.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = want.get("shape").get(i).longValue();
        }
        assertArrayEquals(shape, got.shape(), what);
        JsonNode values = want.get("values");
        assertEquals(values.size(), got.numel(), what);
        if (got.isFloating()) {
            assertNull(got.longs(), what);
            float[] w = new float[values.size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) values.get(i).doubleValue(); // torch dumped the float32 value exactly
            }
            assertArrayEquals(w, got.floats(), what);
        } else {
            assertNull(got.floats(), what);
            long[] w = new long[values.size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = values.get(i).longValue();
            }
            assertArrayEquals(w, got.longs(), what);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static byte[] fixtureBytes(String name) {
        try (InputStream in = TorchWeightsReaderTest.class.getResourceAsStream("/torch/" + name)) {
            assertNotNull(in, "fixture torch/" + name + " on the classpath");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static LinkedHashMap<String, TensorData> readFixture(String name) throws IOException {
        try (InputStream in = TorchWeightsReaderTest.class.getResourceAsStream("/torch/" + name)) {
            assertNotNull(in, "fixture torch/" + name + " on the classpath");
            return TorchWeightsReader.read(in, name);
        }
    }

    private static LinkedHashMap<String, TensorData> read(byte[] bytes, String source) throws IOException {
        return TorchWeightsReader.read(new ByteArrayInputStream(bytes), source);
    }

    /** Reading must fail with an IOException whose message names the source. */
    private static IOException readFails(byte[] bytes, String source) {
        IOException e = assertThrows(IOException.class, () -> read(bytes, source), source);
        assertTrue(e.getMessage().contains(source), "message names the source: " + e.getMessage());
        return e;
    }

    static byte[] floatBytes(ByteOrder order, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(order);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static Map<String, byte[]> without(Map<String, byte[]> entries, String name) {
        assertNotNull(entries.remove(name), name);
        return entries;
    }

    /** Number of data/ records of the given byte size. */
    private long countStorages(byte[] archive, int size) throws IOException {
        return unzip(archive).entrySet().stream()
                .filter(e -> e.getKey().contains("/data/") && e.getValue().length == size).count();
    }

    private List<String> zipNames(byte[] archive) throws IOException {
        return new ArrayList<>(unzip(archive).keySet());
    }

    /** JDK ZipFile needs a file; ZipInputStream refuses torch's stored entries with data descriptors. */
    private Map<String, byte[]> unzip(byte[] archive) throws IOException {
        Path file = Files.createTempFile(tmp, "fixture", ".zip");
        Files.write(file, archive);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile zf = new ZipFile(file.toFile())) {
            for (ZipEntry e : Collections.list(zf.entries())) {
                try (InputStream in = zf.getInputStream(e)) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return entries;
    }

    private byte[] rewrite(byte[] archive, UnaryOperator<Map<String, byte[]>> edit, boolean deflate)
            throws IOException {
        return zip(edit.apply(unzip(archive)), deflate);
    }

    static byte[] zip(Map<String, byte[]> entries, boolean deflate) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(e.getValue().length);
                    entry.setCompressedSize(e.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** Writes pickle opcodes by hand, for files torch would never write. */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle() {
            proto(2);
        }

        Pickle proto(int protocol) {
            out.reset();
            return op(0x80).op(protocol);
        }

        Pickle op(int b) {
            out.write(b);
            return this;
        }

        Pickle str(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            for (int i = 0; i < 4; i++) {
                op((utf8.length >>> (8 * i)) & 0xff);
            }
            out.writeBytes(utf8);
            return this;
        }

        Pickle int1(int v) {
            return op('K').op(v);
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Pickle stackGlobal() {
            return op(0x93);
        }

        Pickle mark() {
            return op('(');
        }

        Pickle tuple() {
            return op('t');
        }

        Pickle tuple1() {
            return op(0x85);
        }

        Pickle emptyTuple() {
            return op(')');
        }

        Pickle emptyDict() {
            return op('}');
        }

        Pickle setItem() {
            return op('s');
        }

        Pickle reduce() {
            return op('R');
        }

        Pickle newObj() {
            return op(0x81);
        }

        Pickle build() {
            return op('b');
        }

        /** Any long: BININT1 when it fits, else LONG1 of 8 bytes. */
        Pickle integer(long v) {
            if (v >= 0 && v <= 255) {
                return int1((int) v);
            }
            op(0x8a).op(8);
            for (int i = 0; i < 8; i++) {
                op((int) (v >>> (8 * i)) & 0xff);
            }
            return this;
        }

        Pickle ints(long[] values) {
            mark();
            for (long v : values) {
                integer(v);
            }
            return tuple();
        }

        /** _rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', 16), offset, size, stride, False, OrderedDict()). */
        Pickle floatTensor(String key, int offset, long[] size, long[] stride) {
            return floatTensor(key, 16, offset, size, stride);
        }

        /** The same over a storage of {@code numel} floats. */
        Pickle floatTensor(String key, long numel, long offset, long[] size, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").mark();
            mark().str("storage").global("torch", "FloatStorage").str(key).str("cpu").integer(numel).tuple().op('Q');
            integer(offset).ints(size).ints(stride).op(0x89);
            global("collections", "OrderedDict").emptyTuple().reduce();
            return tuple().reduce();
        }

        byte[] stop() {
            op('.');
            return out.toByteArray();
        }
    }
}
