package io.metalr.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.data.read.DataLimits;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** data.max_image_pixels and data.max_file_bytes: documented defaults, checked when the config loads. */
class DataLimitsConfigTest {

    private static JobConfig load(String... sets) {
        return JobConfig.of(JobConfig.withOverrides(ConfigFactory.empty(), List.of(sets)));
    }

    @Test
    void defaultsAreAHundredMegapixelsAndOneGibibyte() {
        assertEquals(DataLimits.DEFAULTS, JobConfig.defaults().dataLimits());
        assertEquals(new DataLimits(100_000_000, 1L << 30), JobConfig.defaults().dataLimits());
        assertEquals(new DataLimits(4_000_000, 512L << 20),
                load("data.max_image_pixels=4000000", "data.max_file_bytes=512m").dataLimits());
    }

    @ParameterizedTest
    @ValueSource(strings = {"data.max_image_pixels=0", "data.max_image_pixels=-5", "data.max_image_pixels=9000000000",
        "data.max_image_pixels=lots", "data.max_file_bytes=0", "data.max_file_bytes=3g", "data.max_file_bytes=lots"})
    void badLimitsFailAtLoadNamingTheKey(String set) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(set));
        String key = set.substring(0, set.indexOf('='));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
