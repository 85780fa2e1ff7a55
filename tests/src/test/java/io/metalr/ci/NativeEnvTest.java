package io.metalr.ci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * submit/malloc.env is the one list of glibc settings; the places that cannot read it (Maven's
 * Surefire, Spark's GPU properties file, the Kubernetes image) must carry the same values. The
 * scripts and the test cluster read the file itself (SubmitScriptTest checks what they pass).
 */
class NativeEnvTest {

    private static final Map<String, String> VARS = NativeEnv.variables();

    @Test
    void listsTheArenaAndThresholdSettings() {
        assertEquals("1", VARS.get("MALLOC_ARENA_MAX"), "one arena (README, Every x86-64 CPU)");
        assertTrue(VARS.containsKey("MALLOC_MMAP_THRESHOLD_") && VARS.containsKey("MALLOC_TRIM_THRESHOLD_"), VARS.toString());
    }

    @Test
    void thisTestJvmRunsWithThem() {
        VARS.forEach((k, v) -> assertEquals(v, System.getenv(k), "Surefire's environment (pom.xml) for " + k));
    }

    @Test
    void surefireGpuPropertiesAndImageCarryTheSameValues() throws IOException {
        String pom = Files.readString(NativeEnv.ROOT.resolve("pom.xml"));
        String gpu = Files.readString(NativeEnv.ROOT.resolve("conf/spark-gpu.conf"));
        String docker = Files.readString(NativeEnv.ROOT.resolve("submit/Dockerfile"));
        VARS.forEach((k, v) -> {
            assertTrue(pom.contains("<" + k + ">" + v + "</" + k + ">"), "pom.xml's Surefire lacks " + k + "=" + v);
            assertTrue(Pattern.compile("(?m)^spark\\.executorEnv\\." + Pattern.quote(k) + "\\s+" + Pattern.quote(v) + "\\s*$")
                    .matcher(gpu).find(), "conf/spark-gpu.conf lacks spark.executorEnv." + k + " " + v);
            assertTrue(Pattern.compile("(?m)^ENV .*\\b" + Pattern.quote(k + "=" + v) + "(\\s|$)").matcher(docker).find(),
                    "submit/Dockerfile lacks ENV " + k + "=" + v);
        });
        for (String text : new String[] {pom, gpu, docker}) {
            assertFalse(Pattern.compile("MALLOC_[A-Z_]+").matcher(text).results()
                    .anyMatch(r -> !VARS.containsKey(r.group())), "a MALLOC_ setting that submit/malloc.env lacks");
        }
    }
}
