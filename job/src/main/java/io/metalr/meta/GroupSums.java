package io.metalr.meta;

/**
 * What the meta pass reports per layer group: {@code dot[j] = <grad L_val(theta')_j, d_j>} and the
 * two squared norms (for the cosine rule). Sums add across shards, so a distributed step combines
 * them with {@link #plus}.
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
