package io.metalr.meta;

/**
 * What the meta pass reports per layer group: {@code dot[j] = <grad L_val(theta')_j, d_j>} and the
 * two squared norms (for the cosine rule). The dot products are linear in the gradient, so shards'
 * add up ({@link #plus}) to the one-process number; a squared norm of a sum is not the sum of the
 * squared norms, so a distributed step forms the norms from the summed vectors instead
 * ({@code io.metalr.spark.CosineNorms}).
 */
public record GroupSums(double[] dot, double[] valNormSq, double[] dirNormSq) {

    public static GroupSums zeros(int groups) {
        return new GroupSums(new double[groups], new double[groups], new double[groups]);
    }

    public int groups() {
        return dot.length;
    }

    public GroupSums plus(GroupSums o) {
        double[] a = dot.clone(), b = valNormSq.clone(), c = dirNormSq.clone();
        for (int j = 0; j < a.length; j++) {
            a[j] += o.dot[j];
            b[j] += o.valNormSq[j];
            c[j] += o.dirNormSq[j];
        }
        return new GroupSums(a, b, c);
    }
}
