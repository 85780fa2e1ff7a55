package io.metalr.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DevicesTest {

    private static Map<String, String[]> gpu(String... addresses) {
        return Map.of("gpu", addresses);
    }

    private static IllegalArgumentException fails(String setting, Map<String, String[]> resources, int gpus) {
        return assertThrows(IllegalArgumentException.class, () -> Devices.forTask(setting, resources, gpus));
    }

    private static int engineGpus() {
        return Engine.getInstance().getGpuCount();
    }

    // ------------------------------------------------------------------ forTask: a GPU resource

    @Test
    void theTasksGpuAddressBecomesTheDevice() {
        assertEquals(Device.gpu(0), Devices.forTask("auto", gpu("0"), 4));
        assertEquals(Device.gpu(3), Devices.forTask("auto", gpu("3"), 4));
        assertEquals(Device.gpu(3), Devices.forTask("gpu", gpu("3"), 4));
        assertEquals(Device.gpu(3), Devices.forTask(" GPU:3 ", gpu("3"), 4), "gpu:N agreeing with Spark");
        assertEquals(Device.gpu(1), Devices.forTask("auto", gpu("1"), 2));
        assertEquals("gpu(3)", Devices.forTask("auto", gpu("3"), 4).toString());
    }

    @Test
    void oneTaskUsesOneGpuTheFirstItWasGiven() {
        assertEquals(Device.gpu(2), Devices.forTask("auto", gpu("2", "3"), 4));
    }

    @Test
    void otherResourcesAreIgnored() {
        Map<String, String[]> res = Map.of("gpu", new String[] {"1"}, "fpga", new String[] {"x"});
        assertEquals(Device.gpu(1), Devices.forTask("auto", res, 2));
    }

    @Test
    void aGpuResourceOnTheCpuBuildOfLibtorchIsAClearError() {
        IllegalArgumentException e = fails("auto", gpu("1"), 0);
        String m = e.getMessage();
        assertTrue(m.contains("GPU address 1"), m);
        assertTrue(m.contains("sees no GPU"), m);
        assertTrue(m.contains("pytorch-native-cu128"), m);
        assertTrue(m.contains("PYTORCH_FLAVOR=cu128"), m);
        assertTrue(m.contains("README"), m);
        assertTrue(m.contains("device = cpu"), m);
        assertTrue(fails("gpu", gpu("0"), 0).getMessage().contains("GPU address 0"));
    }

    @Test
    void cpuWinsOverAGpuResource() {
        assertEquals(Device.cpu(), Devices.forTask("cpu", gpu("3"), 4));
        assertEquals(Device.cpu(), Devices.forTask(" CPU", gpu("1"), 0), "no error on the CPU build either");
        assertEquals(Device.cpu(), Devices.forTask("cpu", gpu("not-an-index"), 0), "the address is not even read");
    }

    @Test
    void gpuNContradictingSparksAssignmentIsAnError() {
        String m = fails("gpu:1", gpu("3"), 4).getMessage();
        assertTrue(m.contains("gpu:1") && m.contains("address 3") && m.contains("device = auto"), m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "GPU-8f3a2c1e-1d2b-4c5d-9e0f-123456789abc", "", " ", "1.0", "0x1", "+1",
        "99999999999"})
    void anAddressThatIsNotADeviceIndexIsAnError(String address) {
        String m = fails("auto", gpu(address), 4).getMessage();
        assertTrue(m.contains("'" + address + "'"), m);
        assertTrue(m.contains("device index"), m);
    }

    @Test
    void anAddressTheEngineDoesNotSeeIsAnError() {
        String m = fails("auto", gpu("4"), 4).getMessage();
        assertTrue(m.contains("GPU address 4") && m.contains("only 4 GPU(s)") && m.contains("CUDA_VISIBLE_DEVICES"), m);
        assertTrue(fails("gpu", gpu("2"), 1).getMessage().contains("GPU address 2"));
    }

    @Test
    void aGpuResourceWithoutAddressIsAnError() {
        String m = fails("auto", gpu(), 4).getMessage();
        assertTrue(m.contains("without an address") && m.contains("spark.task.resource.gpu.amount"), m);
    }

    // ------------------------------------------------------------------ forTask: no GPU resource

    @Test
    void withoutAGpuResourceTheSettingIsResolved() {
        int gpus = engineGpus();
        for (Map<String, String[]> none : List.of(Map.<String, String[]>of(), Map.of("fpga", new String[] {"0"}))) {
            assertEquals(Devices.resolve("auto"), Devices.forTask("auto", none, gpus));
            assertEquals(Devices.resolve("cpu"), Devices.forTask("cpu", none, gpus));
            assertEquals(Device.cpu(), Devices.forTask("auto", none, 0));
            assertEquals(Device.gpu(0), Devices.forTask("auto", none, 4), "as resolve does with GPUs");
            assertEquals(Device.gpu(2), Devices.forTask("gpu:2", none, 4));
        }
        assertEquals(Devices.resolve("auto"), Devices.forTask("auto", null, gpus));
        String m = fails("gpu:1", Map.of(), 0).getMessage();
        assertTrue(m.contains("device = gpu:1") && m.contains("0 GPU(s)"), m);
    }

    @Test
    void withoutAGpuResourceOnThisMachineItIsTheCpu() {
        assumeTrue(engineGpus() == 0, "this machine has a GPU");
        assertEquals(Device.cpu(), Devices.forTask("auto", Map.of(), engineGpus()));
        assertEquals("cpu()", Devices.forTask("auto", Map.of(), engineGpus()).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tpu", "gpu:x", "gpu:-1", "gpu:", "cuda", ""})
    void aBadSettingIsAnErrorInATaskToo(String setting) {
        String m = fails(setting, gpu("0"), 4).getMessage();
        assertTrue(m.contains("auto, cpu, gpu or gpu:N") && m.contains("'" + setting + "'"), m);
        m = fails(setting, Map.of(), 4).getMessage();
        assertTrue(m.contains("auto, cpu, gpu or gpu:N"), m);
    }

    // ------------------------------------------------------------------ resolve, forCurrentTask

    @Test
    void resolveOnThisMachine() {
        int gpus = engineGpus();
        assertEquals(gpus > 0 ? Device.gpu(0) : Device.cpu(), Devices.resolve("auto"));
        assertEquals(Device.cpu(), Devices.resolve(" Cpu "));
    }

    @Test
    void resolveRefusesAGpuTheEngineDoesNotSee() {
        int gpus = engineGpus();
        String m = assertThrows(IllegalArgumentException.class, () -> Devices.resolve("gpu:" + gpus)).getMessage();
        assertTrue(m.contains("device = gpu:" + gpus) && m.contains(gpus + " GPU(s)") && m.contains("CUDA"), m);
        if (gpus == 0) {
            assertThrows(IllegalArgumentException.class, () -> Devices.resolve("gpu"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tpu", "gpu:x", "gpu:-1", "gpu:", "gpu0", ""})
    void resolveRefusesABadSetting(String setting) {
        String m = assertThrows(IllegalArgumentException.class, () -> Devices.resolve(setting)).getMessage();
        assertTrue(m.contains("auto, cpu, gpu or gpu:N") && m.contains("'" + setting + "'"), m);
    }

    @Test
    void outsideASparkTaskForCurrentTaskIsResolve() {
        assertEquals(Devices.resolve("auto"), Devices.forCurrentTask("auto"));
        assertEquals(Device.cpu(), Devices.forCurrentTask("cpu"));
        assertThrows(IllegalArgumentException.class, () -> Devices.forCurrentTask("tpu"));
    }

    // ------------------------------------------------------------------ submit/gpu-discovery.sh

    private static final Path SCRIPT = Path.of("..", "submit", "gpu-discovery.sh").toAbsolutePath().normalize();

    private record Run(int exit, String out, String err) {}

    /** Runs the script as Spark does (exec, through its #!/bin/sh) or through a given shell. */
    private static Run run(String shell, String path) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (shell != null) {
            cmd.addAll(List.of(shell.split(" ")));
        }
        cmd.add(SCRIPT.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PATH", path);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "discovery script timed out");
        return new Run(p.exitValue(), out.get(), err.get());
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Every way to run the script here: exec (needs /bin/sh), sh, bash in POSIX mode. */
    private static List<String> shells() {
        List<String> shells = new ArrayList<>();
        if (Files.isExecutable(Path.of("/bin/sh"))) {
            shells.add(null);
            shells.add("/bin/sh");
        }
        if (Files.isExecutable(Path.of("/bin/bash"))) {
            shells.add("/bin/bash --posix");
        }
        return shells;
    }

    private static void assumeShells() {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is missing");
        assertTrue(Files.isRegularFile(SCRIPT), SCRIPT + " is missing");
        assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " must be executable: Spark runs it directly");
    }

    private static Path fakeNvidiaSmi(Path dir, String body) throws IOException {
        Path f = dir.resolve("nvidia-smi");
        Files.writeString(f, "#!/bin/sh\n"
                + "[ \"$*\" = '--query-gpu=index --format=csv,noheader' ] || { echo \"bad args: $*\" >&2; exit 2; }\n"
                + body);
        assertTrue(f.toFile().setExecutable(true));
        return f;
    }

    /** The script's stdout as Spark parses it (ResourceInformation.parseJson). */
    private static List<String> addresses(Run r) {
        assertEquals(0, r.exit(), "stderr: " + r.err());
        ResourceInformation info = ResourceInformation.parseJson(r.out().trim());
        assertEquals("gpu", info.name());
        return List.of(info.addresses());
    }

    @Test
    void discoveryWithoutNvidiaSmiFindsNoGpu(@TempDir Path empty) throws Exception {
        assumeShells();
        for (String shell : shells()) {
            Run r = run(shell, empty.toString()); // a PATH without nvidia-smi, whatever this machine has
            assertEquals("{\"name\": \"gpu\", \"addresses\": []}\n", r.out(), String.valueOf(shell));
            assertEquals(List.of(), addresses(r));
        }
    }

    @Test
    void discoveryListsNvidiaSmiIndices(@TempDir Path bin) throws Exception {
        assumeShells();
        fakeNvidiaSmi(bin, "printf '0\\n1\\n'\n");
        for (String shell : shells()) {
            Run r = run(shell, bin + ":" + System.getenv("PATH"));
            assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}\n", r.out(), String.valueOf(shell));
            assertEquals(List.of("0", "1"), addresses(r));
        }
    }

    @Test
    void discoveryToleratesCarriageReturnsAndNoGpus(@TempDir Path bin) throws Exception {
        assumeShells();
        fakeNvidiaSmi(bin, "printf '0\\r\\n3\\r\\n'\n");
        assertEquals(List.of("0", "3"), addresses(run(null, bin + ":" + System.getenv("PATH"))));
        fakeNvidiaSmi(bin, "exit 0\n");
        assertEquals(List.of(), addresses(run(null, bin + ":" + System.getenv("PATH"))));
    }

    @Test
    void discoveryFailsLoudlyWhenNvidiaSmiFails(@TempDir Path bin) throws Exception {
        assumeShells();
        fakeNvidiaSmi(bin, "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver'\n"
                + "exit 9\n");
        Run r = run(null, bin + ":" + System.getenv("PATH"));
        assertNotEquals(0, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().contains("nvidia-smi") && r.err().contains("NVIDIA driver"), r.err());

        fakeNvidiaSmi(bin, "echo 'GPU-8f3a2c1e'\n");
        r = run(null, bin + ":" + System.getenv("PATH"));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("not a GPU index") && r.err().contains("GPU-8f3a2c1e"), r.err());
    }
}
