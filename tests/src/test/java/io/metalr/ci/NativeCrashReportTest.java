package io.metalr.ci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM killed by a native crash is named in CI's output: .ci/run hands the error files to
 * submit/native-crashes.sh, which prints the signal, the native frame and the test method.
 * Checked on a real crash: a JVM that reads address 8 through JNA's native code.
 */
class NativeCrashReportTest {

    /** Runs in its own JVM and dies there of SIGSEGV in native code, inside a method of a *Test class. */
    static final class Fixture {
        public static void main(String[] args) {
            crashInNativeCode();
        }

        static void crashInNativeCode() {
            new com.sun.jna.Pointer(8).getLong(0);
        }
    }

    @Test
    void aNativeCrashIsNamedWithItsFrameAndTest(@TempDir Path tmp) throws Exception {
        Path marker = Files.createFile(tmp.resolve("started"));
        Thread.sleep(1100); // error files must be newer than the marker at the file system's resolution
        Process jvm = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:ErrorFile=" + tmp.resolve("hs_err_pid%p.log"), "-XX:-CreateCoredumpOnCrash",
                        "-cp", System.getProperty("java.class.path"), Fixture.class.getName()))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("jvm.out").toFile()).start();
        assertTrue(jvm.waitFor(60, TimeUnit.SECONDS), "the crashing JVM did not end");
        assertNotEquals(0, jvm.exitValue(), "the fixture JVM should have crashed");

        Process script = new ProcessBuilder("bash", NativeEnv.ROOT.resolve("submit/native-crashes.sh").toString(),
                        tmp.toString(), marker.toString())
                .redirectErrorStream(true).start();
        String out = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, script.waitFor(), out);
        assertTrue(out.contains("NATIVE CRASH: SIGSEGV"), out);
        assertTrue(out.contains("native frame: C  [") && out.contains("Java_com_sun_jna_Native_getLong"), out);
        assertTrue(out.contains("test:         " + Fixture.class.getName() + ".crashInNativeCode"), out);

        // an error file older than the run's marker is not this run's crash
        Path later = tmp.resolve("later");
        Files.createFile(later);
        Process again = new ProcessBuilder("bash", NativeEnv.ROOT.resolve("submit/native-crashes.sh").toString(),
                        tmp.toString(), later.toString())
                .redirectErrorStream(true).start();
        String none = new String(again.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, again.waitFor());
        assertEquals("", none);
    }
}
