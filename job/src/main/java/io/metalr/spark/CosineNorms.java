package io.metalr.spark;

/**
 * How a distributed global meta step forms the validation gradient's norm per group,
 * {@code |grad L_val(theta')_j|^2}, which the cosine rule divides by ({@code meta.normalize = cosine};
 * the dot products are linear, so their mean over shards is exact either way).
 *
 * <ul>
 *   <li>{@code EXACT}: the executors reduce-scatter their validation gradients (half a gradient
 *       out and half in per executor, among themselves) and each takes the squared norms of its
 *       chunk of the mean; only those per-group sums travel on: one process over the same
 *       micro-batches.
 *   <li>{@code SHARD_MEAN}: an estimator, the mean of the shards' own squared norms (a few numbers
 *       per group). It is never smaller than the exact norm (the mean of squares is at least the
 *       square of the mean), by as much as the shards' gradients disagree, so cosine hypergradients
 *       shrink as shards are added.
 * </ul>
 */
public enum CosineNorms {
    EXACT,
    SHARD_MEAN
}
