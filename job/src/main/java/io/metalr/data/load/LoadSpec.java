package io.metalr.data.load;

import io.metalr.data.read.OnBadRecord;

import java.io.Serializable;
import java.util.List;

/**
 * What a load builds: stores of which splits ({@link io.metalr.data.Splits#TRAIN} etc.), the
 * largest image accepted ({@code data.max_image_pixels}), what a bad record does
 * ({@code data.onBadRecord}), and where stores go ({@code data.cache.dir}; blank: the executor's
 * local dir, see {@link LocalStores#directory}).
 */
public record LoadSpec(List<Integer> splits, long maxPixels, OnBadRecord onBad, String cacheDir) implements Serializable {

    public LoadSpec {
        splits = List.copyOf(splits);
        cacheDir = cacheDir == null ? "" : cacheDir;
    }
}
