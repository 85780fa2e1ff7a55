package io.metalr.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** submit/bench.sh spark's options: the local cases by default, a cluster per shard count with --shards. */
class SparkBenchOptionsTest {

    @Test
    void noOptionsRunEveryLocalCaseWithItsDefaultSteps() {
        SparkBenchOptions o = SparkBenchOptions.parse(new String[0]);
        assertNull(o.only());
        assertEquals(List.of(), o.shards());
        assertEquals(18, o.stepsOr(18));
    }

    @Test
    void shardCountsStepsAndOneCase() {
        SparkBenchOptions o = SparkBenchOptions.parse(new String[] {"--shards", "1,2,4", "--steps", "5"});
        assertEquals(List.of(1, 2, 4), o.shards());
        assertEquals(5, o.stepsOr(18));
        assertEquals("resnet18", SparkBenchOptions.parse(new String[] {"--only", "resnet18"}).only());
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        assertError("unknown option '--shard'", "--shard", "2");
        assertError("--shards needs a value", "--shards");
        assertError("--shards 2,1: shard counts must be ascending and distinct", "--shards", "2,1");
        assertError("--shards 0: expected a positive whole number", "--shards", "0");
        assertError("--shards : expected a positive whole number", "--shards", "1,,4");
        assertError("--steps x: expected a positive whole number", "--steps", "x");
        assertError("--steps 2: more than the 2 warm-up steps are needed", "--steps", "2");
        assertError("--only medium: the cases are [tiny, small, resnet18]", "--only", "medium");
        assertError("--transport udp: auto or tcp", "--transport", "udp");
        assertError("--shards 3: a shard count must divide the global batch of 64", "--shards", "1,3");
    }

    private static void assertError(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkBenchOptions.parse(args));
        assertTrue(e.getMessage().startsWith(expected), "'" + e.getMessage() + "' does not start with '" + expected + "'");
    }
}
