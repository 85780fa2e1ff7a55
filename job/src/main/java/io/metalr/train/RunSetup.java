package io.metalr.train;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataPaths;
import io.metalr.groups.LayerGroups;
import io.metalr.model.Models;
import io.metalr.model.Pretrained;
import io.metalr.model.WeightFiles;
import io.metalr.nn.Initializer;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a run needs before its first step, from the config and the data's shape: the
 * network, its layer groups, the strategy's plan and the initial weights (pretrained or fresh).
 */
public record RunSetup(Network net, LayerGroups groups, StrategyPlan plan, LinkedHashMap<String, float[]> initial) {

    public static RunSetup from(JobConfig cfg, int inChannels, int numClasses) {
        Network net = Models.create(cfg.string("model.name"), inChannels, numClasses);
        LayerGroups groups = cfg.word("groups.mode").equals("patterns")
                ? LayerGroups.fromPatterns(net, cfg.strings("groups.patterns"))
                : LayerGroups.auto(net);
        StrategyPlan plan = StrategyPlan.of(cfg.strategy(), groups, cfg.strategyOptions());
        long seed = cfg.integer("model.init_seed");
        String pretrained = cfg.string("model.pretrained").trim();
        LinkedHashMap<String, float[]> initial;
        if (!plan.pretrained() || pretrained.isEmpty()) {
            initial = fresh(net, seed);
        } else {
            // through the Hadoop FileSystem: the weights may live on hdfs:// or s3a:// like the data
            try (InputStream in = DataPaths.open(pretrained)) {
                initial = Pretrained.fit(net, WeightFiles.read(in, pretrained), cfg.bool("model.replace_head"), seed, pretrained);
            } catch (FileNotFoundException e) {
                throw new IllegalArgumentException("model.pretrained: no such file " + pretrained, e);
            } catch (IOException e) {
                throw new UncheckedIOException("model.pretrained: cannot read " + pretrained + ": " + e.getMessage(), e);
            }
        }
        return new RunSetup(net, groups, plan, initial);
    }

    public static LinkedHashMap<String, float[]> fresh(Network net, long seed) {
        Map<String, ParamSpec> byName = new LinkedHashMap<>();
        net.params().forEach(s -> byName.put(s.name(), s));
        LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
        for (ParamSpec s : net.params()) {
            out.put(s.name(), Initializer.initial(s, byName, seed));
        }
        return out;
    }

    /** The group table printed at start. */
    public String groupTable() {
        return groups.table(plan.initialLr(), plan.trainable());
    }
}
