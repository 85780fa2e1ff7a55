package io.metalr.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.metalr.data.Batch;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.GroupSums;
import io.metalr.nn.Network;
import io.metalr.nn.ParamLookup;

import java.util.List;
import java.util.Map;

/**
 * The meta pass: the validation loss at the lookahead {@code theta' = theta - s * alpha_group * d}
 * and the per-group sums {@code <grad L_val(theta'), d>}, {@code |grad L_val(theta')|^2},
 * {@code |d|^2} (the norms only when asked: the cosine rule needs them) from which {@link io.metalr.meta.MetaLrRule} makes the hypergradient. The formula
 * {@code dL_val/d alpha_j = -s <grad L_val(theta')_j, d_j>} is exact for any fixed direction d,
 * because theta' is linear in alpha.
 */
public final class MetaGradient {

    /**
     * The validation loss at theta', the per-group sums, and the validation gradient itself
     * (owned by the caller's scratch manager): a distributed step adds the shards' gradients to
     * form the norm of their mean, which no sum of the shards' own norms gives.
     */
    public record Result(double loss, GroupSums sums, Map<String, NDArray> valGrads) {}

    private MetaGradient() {}

    /**
     * @param params the parameters that move (learnable groups), with their groups in {@code groupOf}
     * @param theta the current values of those parameters (aliases in {@code scratch})
     * @param d the lookahead direction of each of them
     * @param fixed every other tensor: frozen parameters and the batch-norm buffers to use
     */
    public static Result compute(
            Network net,
            List<String> params,
            int[] groupOf,
            int numGroups,
            Map<String, NDArray> theta,
            Map<String, NDArray> d,
            double[] lr,
            int sign,
            ParamLookup fixed,
            Batch meta,
            boolean withNorms,
            NDManager scratch) {
        Map<String, NDArray> lookahead = new java.util.HashMap<>();
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i);
            lookahead.put(name, theta.get(name).sub(d.get(name).mul(sign * lr[groupOf[i]])));
        }
        ParamLookup at = name -> {
            NDArray a = lookahead.get(name);
            return a != null ? a : fixed.get(name);
        };
        ModelCompute.Gradients val = ModelCompute.lossAndGradients(net, at, params, meta, scratch);
        // one to three scalars per parameter, fetched from the device in one transfer
        int per = withNorms ? 3 : 1;
        NDList stats = new NDList();
        for (String name : params) {
            NDArray gv = val.grads().get(name);
            NDArray dir = d.get(name);
            stats.add(gv.mul(dir).sum());
            if (withNorms) {
                stats.add(gv.mul(gv).sum());
                stats.add(dir.mul(dir).sum());
            }
        }
        stats.add(val.loss());
        double[] host = NDArrays.stack(stats).toType(DataType.FLOAT64, false).toDoubleArray();
        GroupSums sums = GroupSums.zeros(numGroups);
        for (int i = 0; i < params.size(); i++) {
            int grp = groupOf[i];
            sums.dot()[grp] += host[per * i];
            if (withNorms) {
                sums.valNormSq()[grp] += host[per * i + 1];
                sums.dirNormSq()[grp] += host[per * i + 2];
            }
        }
        return new Result(host[host.length - 1], sums, val.grads());
    }

    /** The group index of each parameter, in order. */
    public static int[] groupIndex(LayerGroups groups, List<String> params) {
        return params.stream().mapToInt(groups::groupOf).toArray();
    }
}
