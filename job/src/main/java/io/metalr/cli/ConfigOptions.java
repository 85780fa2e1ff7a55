package io.metalr.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataPaths;

import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** {@code --config FILE} and {@code --set key=value}, for the commands that take a job config. */
final class ConfigOptions {

    @Option(names = "--config", description = "HOCON config file (keys in conf/reference.conf)")
    File config;

    @Option(names = "--set", description = "override a key: --set data.path=/x (repeatable)")
    List<String> overrides = new ArrayList<>();

    /** The config: {@code --config} (else {@code fallback}, any Hadoop path, when not null), then {@code --set}, over the defaults. */
    JobConfig load(String fallback) throws IOException {
        Config user;
        if (config != null) {
            if (!config.isFile()) {
                throw new IllegalArgumentException("--config: no such file " + config);
            }
            user = ConfigFactory.parseFile(config);
        } else if (fallback != null) {
            user = ConfigFactory.parseString(new String(DataPaths.readAllBytes(fallback), StandardCharsets.UTF_8));
        } else {
            user = ConfigFactory.empty();
        }
        return JobConfig.of(JobConfig.withOverrides(user, overrides));
    }
}
