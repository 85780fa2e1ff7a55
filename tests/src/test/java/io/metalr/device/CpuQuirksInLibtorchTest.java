package io.metalr.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.nn.Autograd;
import io.metalr.nn.Layers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The workaround as libtorch sees it, in JVMs of their own (the decision is made once per JVM):
 * with it on, oneDNN's verbose log shows only AVX2 convolution kernels and no 1x1 convolution;
 * with it off, oneDNN runs the 1x1 convolution itself. The cap is set from inside the JVM after
 * libtorch has loaded, so this also shows that oneDNN reads it at its first primitive.
 */
class CpuQuirksInLibtorchTest {

    /** A 3x3 and a 1x1 stride-2 convolution, forward and backward, through the job's layers. */
    static final class Child {
        public static void main(String[] args) {
            try (NDManager m = NDManager.newBaseManager()) { // libtorch loads here, before the decision
                Map<String, NDArray> p = Map.of(
                        "a.weight", m.randomNormal(new Shape(8, 4, 3, 3)),
                        "b.weight", m.randomNormal(new Shape(16, 8, 1, 1)));
                p.values().forEach(w -> w.setRequiresGradient(true));
                NDArray x = m.randomNormal(new Shape(2, 4, 8, 8));
                try (Autograd tape = Autograd.record()) {
                    NDArray h = Layers.conv(p::get, "a", x, 1, 1, false);
                    tape.backward(Layers.conv(p::get, "b", h, 2, 0, false).sum());
                }
                System.out.println("done " + p.get("b.weight").getGradient().getShape());
            }
        }
    }

    private static List<String> convolutionLines(String quirks) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Child.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ONEDNN_VERBOSE", "1");
        pb.environment().put("METALR_CPU_QUIRKS", quirks);
        pb.environment().remove("ONEDNN_MAX_CPU_ISA");
        pb.environment().remove("DNNL_MAX_CPU_ISA");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("done (16, 8, 1, 1)"), out);
        if (quirks.equals("on")) {
            assertTrue(out.contains("metalr: METALR_CPU_QUIRKS=on; set ONEDNN_MAX_CPU_ISA=AVX2"), out);
        }
        return out.lines().filter(l -> l.startsWith("onednn_verbose") && l.contains(",exec,cpu,convolution,")).toList();
    }

    @Test
    void onCapsOneDnnAtAvx2AndKeepsOneByOneConvolutionsAway() throws Exception {
        List<String> convs = convolutionLines("on");
        assertFalse(convs.isEmpty(), "no convolution ran in oneDNN");
        for (String l : convs) {
            assertFalse(l.contains("avx512"), "an AVX-512 kernel ran under the cap: " + l);
            assertFalse(l.contains("kh1") && l.contains("kw1"), "a 1x1 convolution ran in oneDNN: " + l);
        }
    }

    @Test
    void offLeavesOneByOneConvolutionsToOneDnn() throws Exception {
        assertTrue(convolutionLines("off").stream().anyMatch(l -> l.contains("kh1") && l.contains("kw1")),
                "with the workaround off, oneDNN should run the 1x1 convolution");
    }
}
