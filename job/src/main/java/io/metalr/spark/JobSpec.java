package io.metalr.spark;

import io.metalr.data.Shards;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrSettings;
import io.metalr.model.Models;
import io.metalr.nn.Network;
import io.metalr.optim.Optimizers;
import io.metalr.udf.image.Augmenter;

import java.io.Serializable;
import java.util.List;

/**
 * Everything an executor needs to rebuild the run's network, optimizer and step, shipped with the
 * task closure (what changes per step travels in {@link ResidentProtocol}).
 *
 * @param groupPatterns empty for {@code groups.mode = auto}
 * @param trainable per group, whether it trains
 * @param metaShards the meta source's shards ({@code shards} when it is the training set)
 * @param cosineNorms how the cosine rule's validation norms are formed in global meta mode
 * @param sharedMemory whether ranks that all run in one JVM reduce through its memory ({@code distributed.transport})
 */
public record JobSpec(
        String model,
        int inChannels,
        int numClasses,
        List<String> groupPatterns,
        boolean[] trainable,
        MetaLrSettings meta,
        Optimizers.Settings optimizer,
        MetaMode mode,
        CosineNorms cosineNorms,
        boolean sharedMemory,
        Augmenter augmenter,
        int batchSize,
        int metaBatchSize,
        long seed,
        String device,
        Shards shards,
        Shards metaShards,
        FlatLayout all,
        FlatLayout learnable,
        FlatLayout buffers) implements Serializable {

    Network network() {
        return Models.create(model, inChannels, numClasses);
    }

    /**
     * Whether the executors reduce their validation gradients in the meta pass: the exact cosine rule
     * in global mode, on more than one shard (one shard's own norms are exact, and computed as one
     * process computes them: a 1-shard run stays the in-process run, bit for bit). Local mode looks
     * ahead along each shard's own gradient: there is no common lookahead whose gradient a mean
     * would be, and the shards' own norms are averaged.
     */
    boolean reducesValGradient() {
        return mode == MetaMode.GLOBAL && meta.normalize() == MetaLrSettings.Normalize.COSINE
                && cosineNorms == CosineNorms.EXACT && shards.count() > 1;
    }

    LayerGroups groups(Network net) {
        return groupPatterns.isEmpty() ? LayerGroups.auto(net) : LayerGroups.fromPatterns(net, groupPatterns);
    }
}
