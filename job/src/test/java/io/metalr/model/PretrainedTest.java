package io.metalr.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.model.io.TensorData;
import io.metalr.nn.Initializer;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;
import io.metalr.train.RunSetup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Fitting weight files to a network, and writing and reading weight files. */
class PretrainedTest {

    private static final String SRC = "source.ndlist";
    private static final Network NET = Models.create("reference_cnn", 1, 3);

    /** A file's worth of tensors for a network, with values distinct from any initialiser's. */
    private static LinkedHashMap<String, TensorData> fileFor(Network net, long seed) {
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        RunSetup.fresh(net, seed).forEach((name, v) -> {
            float[] shifted = v.clone();
            for (int i = 0; i < shifted.length; i++) {
                shifted[i] += 0.25f * (i % 3);
            }
            out.put(name, new TensorData(name, shape(net, name), "float32", shifted, null));
        });
        return out;
    }

    private static long[] shape(Network net, String name) {
        return net.params().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().shape().getShape();
    }

    private static IllegalArgumentException fitError(Map<String, TensorData> file, boolean replaceHead) {
        return assertThrows(IllegalArgumentException.class, () -> Pretrained.fit(NET, file, replaceHead, 0, SRC));
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message should mention '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void matchingFileFitsExactly() {
        LinkedHashMap<String, TensorData> file = fileFor(NET, 3);
        for (boolean replace : new boolean[] {true, false}) {
            LinkedHashMap<String, float[]> fitted = Pretrained.fit(NET, file, replace, 0, SRC);
            assertEquals(NET.params().stream().map(ParamSpec::name).toList(), new ArrayList<>(fitted.keySet()));
            for (String k : fitted.keySet()) {
                assertArrayEquals(file.get(k).floats(), fitted.get(k), k);
            }
        }
    }

    @Test
    void missingTensorIsNamed() {
        for (String missing : List.of("conv2.bias", "bn1.running_var", "conv1.weight")) {
            LinkedHashMap<String, TensorData> file = fileFor(NET, 3);
            file.remove(missing);
            assertMentions(fitError(file, true), missing, SRC);
        }
    }

    @Test
    void extraTensorIsNamed() {
        LinkedHashMap<String, TensorData> file = fileFor(NET, 3);
        file.put("conv3.weight", new TensorData("conv3.weight", new long[] {2}, "float32", new float[2], null));
        assertMentions(fitError(file, true), "conv3.weight", SRC);
        assertMentions(fitError(file, false), "conv3.weight");
    }

    @Test
    void misShapedTensorIsNamed() {
        LinkedHashMap<String, TensorData> file = fileFor(NET, 3);
        file.put("conv1.weight", new TensorData("conv1.weight", new long[] {4, 1, 1, 9}, "float32", new float[36], null));
        // same element count, other shape: still an error, naming the tensor and both shapes
        IllegalArgumentException e = fitError(file, true);
        assertMentions(e, "conv1.weight", SRC, "(4, 1, 1, 9)", "(4, 1, 3, 3)");
        file = fileFor(NET, 3);
        file.put("bn2.running_mean", new TensorData("bn2.running_mean", new long[] {7}, "float32", new float[7], null));
        assertMentions(fitError(file, true), "bn2.running_mean");
    }

    @Test
    void integerTensorIsRejected() {
        LinkedHashMap<String, TensorData> file = fileFor(NET, 3);
        file.put("conv2.bias", new TensorData("conv2.bias", new long[] {8}, "int64", null, new long[8]));
        assertMentions(fitError(file, true), "conv2.bias");
    }

    @Test
    void headOfAnotherClassCountIsReplacedWhenAllowed() {
        Network tenClasses = Models.create("reference_cnn", 1, 10);
        LinkedHashMap<String, TensorData> file = fileFor(tenClasses, 4);
        long seed = 17;
        LinkedHashMap<String, float[]> fitted = Pretrained.fit(NET, file, true, seed, SRC);
        Map<String, ParamSpec> byName = new LinkedHashMap<>();
        NET.params().forEach(s -> byName.put(s.name(), s));
        for (ParamSpec s : NET.params()) {
            float[] v = fitted.get(s.name());
            assertEquals(s.size(), v.length, s.name());
            if (s.name().startsWith("fc.")) {
                assertArrayEquals(Initializer.initial(s, byName, seed), v, s.name() + " is freshly initialised");
            } else {
                assertArrayEquals(file.get(s.name()).floats(), v, s.name() + " comes from the file");
            }
        }
        // the fresh head depends on the seed
        assertFalse(Arrays.equals(fitted.get("fc.weight"), Pretrained.fit(NET, file, true, seed + 1, SRC).get("fc.weight")));
        // and is an error naming it when replacing is off
        assertMentions(fitError(file, false), "fc.weight");
    }

    @Test
    void absentHeadIsInitialisedWhenReplacing() {
        LinkedHashMap<String, TensorData> file = fileFor(NET, 3);
        file.remove("fc.weight");
        file.remove("fc.bias");
        LinkedHashMap<String, float[]> fitted = Pretrained.fit(NET, file, true, 0, SRC);
        assertEquals(NET.params().size(), fitted.size());
        assertMentions(fitError(file, false), "fc.weight");
    }

    @Test
    void numBatchesTrackedIsIgnored() {
        LinkedHashMap<String, TensorData> file = fileFor(NET, 3);
        file.put("bn1.num_batches_tracked", new TensorData("bn1.num_batches_tracked", new long[0], "int64", null, new long[] {42}));
        file.put("bn2.num_batches_tracked", new TensorData("bn2.num_batches_tracked", new long[0], "int64", null, new long[] {42}));
        for (boolean replace : new boolean[] {true, false}) {
            LinkedHashMap<String, float[]> fitted = Pretrained.fit(NET, file, replace, 0, SRC);
            assertFalse(fitted.containsKey("bn1.num_batches_tracked"));
            assertEquals(NET.params().size(), fitted.size());
        }
    }

    // ---- files ----

    private static LinkedHashMap<String, float[]> values(Network net) {
        LinkedHashMap<String, float[]> v = new LinkedHashMap<>();
        fileFor(net, 9).forEach((k, t) -> v.put(k, t.floats()));
        // special values survive too
        v.get("fc.bias")[0] = -0.0f;
        v.get("fc.bias")[1] = Float.MIN_VALUE;
        v.get("fc.bias")[2] = Float.MAX_VALUE;
        return v;
    }

    private static byte[] written(Network net, Map<String, float[]> values, String target) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WeightFiles.write(out, net, values, target);
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"weights.ndlist", "weights.npz", "WEIGHTS.NPZ"})
    void roundTrip(String target) throws IOException {
        Network net = Models.create("small_resnet", 2, 5);
        LinkedHashMap<String, float[]> values = values(Models.create("small_resnet", 2, 5));
        byte[] bytes = written(net, values, target);
        if (target.toLowerCase().endsWith(".npz")) {
            assertEquals('P', bytes[0], "npz is a zip");
            assertEquals('K', bytes[1]);
        }
        LinkedHashMap<String, TensorData> read = WeightFiles.read(new ByteArrayInputStream(bytes), target);
        assertEquals(new ArrayList<>(values.keySet()), new ArrayList<>(read.keySet()), "names in state-dict order");
        for (ParamSpec s : net.params()) {
            TensorData t = read.get(s.name());
            assertEquals(s.name(), t.name());
            assertArrayEquals(s.shape().getShape(), t.shape(), s.name());
            assertEquals("float32", t.dtype());
            assertArrayEquals(values.get(s.name()), t.floats(), s.name());
        }
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(read.get("fc.bias").floats()[0]));
        // and it fits the network back exactly
        LinkedHashMap<String, float[]> fitted = Pretrained.fit(net, read, false, 0, target);
        values.forEach((k, v) -> assertArrayEquals(v, fitted.get(k), k));
    }

    @Test
    void readsSafetensors() throws IOException {
        // a .safetensors file (written here by DJL's encoder) reads by name like the other formats
        LinkedHashMap<String, float[]> values = values(NET);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu())) {
            ai.djl.ndarray.NDList list = new ai.djl.ndarray.NDList();
            for (ParamSpec s : NET.params()) {
                ai.djl.ndarray.NDArray a = m.create(values.get(s.name()), s.shape());
                a.setName(s.name());
                list.add(a);
            }
            list.encode(out, ai.djl.ndarray.NDList.Encoding.SAFETENSORS);
        }
        LinkedHashMap<String, TensorData> read = WeightFiles.read(new ByteArrayInputStream(out.toByteArray()), "w.safetensors");
        assertEquals(NET.params().size(), read.size());
        for (ParamSpec s : NET.params()) {
            assertArrayEquals(values.get(s.name()), read.get(s.name()).floats(), s.name());
            assertArrayEquals(s.shape().getShape(), read.get(s.name()).shape(), s.name());
        }
    }

    @Test
    void roundTripThroughAFile(@TempDir Path dir) throws IOException {
        LinkedHashMap<String, float[]> values = values(NET);
        for (String name : List.of("w.ndlist", "w.npz")) {
            Path p = dir.resolve(name);
            try (OutputStream out = Files.newOutputStream(p)) {
                WeightFiles.write(out, NET, values, p.toString());
            }
            try (InputStream in = Files.newInputStream(p)) {
                LinkedHashMap<String, TensorData> read = WeightFiles.read(in, p.toString());
                values.forEach((k, v) -> assertArrayEquals(v, read.get(k).floats(), name + " " + k));
            }
        }
    }

    @Test
    void writeNeedsEveryTensor() {
        LinkedHashMap<String, float[]> values = values(NET);
        values.remove("bn2.running_var");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> written(NET, values, "x.ndlist"));
        assertMentions(e, "bn2.running_var");
    }

    /** Bad content is a bad model file (exit code 3), whatever the format, never an I/O or config error. */
    @ParameterizedTest
    @ValueSource(strings = {"garbage.ndlist", "garbage.npz", "garbage.safetensors", "garbage.pt", "garbage.pth"})
    void garbageFailsNamingTheFile(String name) {
        byte[] junk = "this is not a weights file, just some text that goes on for a while\n".repeat(4)
                .getBytes(StandardCharsets.UTF_8);
        BadModelException e = assertThrows(BadModelException.class, () -> WeightFiles.read(new ByteArrayInputStream(junk), name));
        assertMentions(e, name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"empty.ndlist", "empty.npz", "empty.safetensors", "empty.pt"})
    void emptyFileFailsNamingIt(String name) {
        BadModelException e = assertThrows(BadModelException.class,
                () -> WeightFiles.read(new ByteArrayInputStream(new byte[0]), name));
        assertMentions(e, name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cut.ndlist", "cut.npz"})
    void truncatedFileFailsNamingIt(String name) throws IOException {
        byte[] whole = written(NET, values(NET), name);
        for (int length : new int[] {whole.length / 2, whole.length - 1, 7}) {
            byte[] cut = Arrays.copyOf(whole, length);
            BadModelException e = assertThrows(BadModelException.class,
                    () -> WeightFiles.read(new ByteArrayInputStream(cut), name), name + " cut to " + length);
            assertMentions(e, name);
        }
    }

    @Test
    void unknownExtensionFailsNamingTheFile() {
        IOException e = assertThrows(BadModelException.class,
                () -> WeightFiles.read(new ByteArrayInputStream(new byte[10]), "model.h5"));
        assertMentions(e, "model.h5");
    }

    @Test
    void unnamedTensorsAreRejected() throws IOException {
        // an NDList whose arrays have no names is not a weights file
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu())) {
            new ai.djl.ndarray.NDList(m.create(new float[] {1, 2})).encode(out);
        }
        IOException e = assertThrows(IOException.class,
                () -> WeightFiles.read(new ByteArrayInputStream(out.toByteArray()), "anon.ndlist"));
        assertMentions(e, "anon.ndlist");
        assertSame(BadModelException.class, e.getClass());
    }
}
