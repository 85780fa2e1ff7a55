package io.metalr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.MiniHdfs;
import io.metalr.config.JobConfig;
import io.metalr.data.read.DataPaths;
import io.metalr.model.io.TensorData;
import io.metalr.model.io.TorchWeightsReader;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code model.pretrained} on HDFS, as the README's cluster example has it: read through the Hadoop FileSystem. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PretrainedFromHdfsTest {

    private static final java.nio.file.Path LOCAL = java.nio.file.Path.of("src/test/resources/torch/reference_cnn_state_dict.pt");

    @RegisterExtension
    static final MiniHdfs.PerClass HDFS = new MiniHdfs.PerClass();

    private static JobConfig cfg(String pretrained) {
        return JobConfig.of(ConfigFactory.parseString(
                "model.name = reference_cnn\nmodel.pretrained = \"" + pretrained + "\"\nstrategy = metalr"));
    }

    @Test
    void aRunStartsFromWeightsOnHdfs() throws Exception {
        String onHdfs = HDFS.root() + "/models/reference_cnn.pt";
        FileSystem fs = DataPaths.fileSystem(onHdfs, DataPaths.configuration());
        fs.copyFromLocalFile(new Path(LOCAL.toAbsolutePath().toUri()), DataPaths.toPath(onHdfs));

        RunSetup setup = RunSetup.from(cfg(onHdfs), 1, 3);

        Map<String, TensorData> expected = TorchWeightsReader.read(LOCAL);
        assertEquals(setup.net().params().size(), setup.initial().size());
        setup.initial().forEach((name, values) -> assertArrayEquals(expected.get(name).floats(), values, 0f, name));
    }

    @Test
    void aMissingFileOnHdfsIsNamed() {
        String missing = HDFS.root() + "/models/nowhere.pt";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunSetup.from(cfg(missing), 1, 3));
        assertTrue(e.getMessage().contains("model.pretrained") && e.getMessage().contains(missing), e.getMessage());
    }
}
