package io.metalr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.model.io.TensorData;
import io.metalr.model.io.TorchWeightsReader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** A run starts from weights exported by PyTorch: state dict and TorchScript, through the config. */
class PretrainedStartTest {

    private static final Path TORCH = Path.of("src/test/resources/torch");

    private static JobConfig cfg(String pretrained) {
        return JobConfig.of(ConfigFactory.parseString(
                "model.name = reference_cnn\nmodel.pretrained = \"" + pretrained + "\"\nstrategy = metalr"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference_cnn_state_dict.pt", "reference_cnn_scripted.pt", "reference_cnn_traced.pt"})
    void startsFromPyTorchWeights(String file) throws Exception {
        Path path = TORCH.resolve(file);
        Map<String, TensorData> expected = TorchWeightsReader.read(path);
        RunSetup setup = RunSetup.from(cfg(path.toString()), 1, 3);
        assertEquals(setup.net().params().size(), setup.initial().size());
        setup.initial().forEach((name, values) ->
                assertArrayEquals(expected.get(name).floats(), values, 0f, file + " " + name));
    }

    @Test
    void headOfAnotherClassCountIsReplacedAndTheBackboneKept() throws Exception {
        Path path = TORCH.resolve("reference_cnn_scripted.pt");
        Map<String, TensorData> file = TorchWeightsReader.read(path);
        RunSetup setup = RunSetup.from(cfg(path.toString()), 1, 5);
        assertArrayEquals(file.get("conv2.weight").floats(), setup.initial().get("conv2.weight"), 0f);
        assertEquals(5 * 8, setup.initial().get("fc.weight").length);
        assertFalse(Arrays.equals(new float[40], setup.initial().get("fc.weight")), "a fresh head is initialised");
    }

    @Test
    void inputChannelMismatchNamesTheTensor() {
        Path path = TORCH.resolve("reference_cnn_state_dict.pt");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunSetup.from(cfg(path.toString()), 3, 3));
        assertTrue(e.getMessage().contains("conv1.weight"), e.getMessage());
    }

    @Test
    void missingFileNamesTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunSetup.from(cfg("/nonexistent/weights.pt"), 1, 3));
        assertTrue(e.getMessage().contains("model.pretrained") && e.getMessage().contains("/nonexistent/weights.pt"), e.getMessage());
    }
}
