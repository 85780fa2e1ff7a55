package io.metalr.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import org.junit.jupiter.api.Test;

/**
 * The config a run writes (config.conf, a sweep's base.conf) holds the job's keys only: not the
 * JVM's system properties that come with the defaults, among them the whole command line.
 */
class ConfigEchoTest {

    @Test
    void theRenderedConfigCarriesNoSystemProperties() {
        String commandLine = System.getProperty("sun.java.command");
        JobConfig c = JobConfig.of(ConfigFactory.parseString("data.path = \"/data/set.npz\""));
        assertTrue(c.raw().hasPath("java.class.path"), "the defaults include the system properties");
        String text = c.render();
        assertTrue(text.contains("/data/set.npz"), "the configured data set is config, and stays");
        for (String key : new String[] {"java", "sun", "user", "os"}) {
            assertFalse(ConfigFactory.parseString(text).hasPath(key), key + " in\n" + text);
        }
        if (commandLine != null && !commandLine.isBlank()) {
            assertFalse(text.contains(commandLine), text);
        }
        assertEquals(c.raw(), JobConfig.of(ConfigFactory.parseString(text)).raw(), "it loads back to the same config");
    }
}
