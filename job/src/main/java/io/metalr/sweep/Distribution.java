package io.metalr.sweep;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * What random search draws one key's value from: {@code choice} (one of the listed values,
 * equally likely), {@code uniform} or {@code log_uniform} over {@code [lo, hi]}, or
 * {@code int_uniform} over the integers {@code lo..hi}.
 */
public record Distribution(String kind, List<ConfigValue> values, double lo, double hi) {

    public static final Set<String> KINDS = Set.of("choice", "uniform", "log_uniform", "int_uniform");

    /** Parses {@code { kind = [...] }}; errors name {@code where}, the key's place in the config. */
    static Distribution parse(String where, ConfigObject block) {
        if (block.size() != 1) {
            throw new IllegalArgumentException(where + " must hold exactly one of choice, uniform, log_uniform, int_uniform; got "
                    + block.keySet());
        }
        String kind = block.keySet().iterator().next();
        ConfigValue v = block.get(kind);
        if (v.valueType() != ConfigValueType.LIST || ((ConfigList) v).isEmpty()) {
            throw new IllegalArgumentException(where + "." + kind + " must be a non-empty list");
        }
        List<ConfigValue> values = List.copyOf((ConfigList) v);
        if (kind.equals("choice")) {
            return new Distribution(kind, values, Double.NaN, Double.NaN);
        }
        if (values.size() != 2 || values.stream().anyMatch(x -> x.valueType() != ConfigValueType.NUMBER)) {
            throw new IllegalArgumentException(where + "." + kind + " must be two numbers [lo, hi], got " + v.render());
        }
        double lo = ((Number) values.get(0).unwrapped()).doubleValue();
        double hi = ((Number) values.get(1).unwrapped()).doubleValue();
        if (!(lo <= hi) || Double.isInfinite(lo) || Double.isInfinite(hi)) {
            throw new IllegalArgumentException(where + "." + kind + " needs finite lo <= hi, got " + v.render());
        }
        if (kind.equals("log_uniform") && !(lo > 0)) {
            throw new IllegalArgumentException(where + ".log_uniform needs lo > 0, got " + v.render());
        }
        if (kind.equals("int_uniform") && (lo != Math.rint(lo) || hi != Math.rint(hi))) {
            throw new IllegalArgumentException(where + ".int_uniform needs two integers, got " + v.render());
        }
        return new Distribution(kind, values, lo, hi);
    }

    /**
     * One draw. Real values keep 4 significant digits, so the value printed in the results table
     * is exactly the value the trial ran with.
     */
    ConfigValue sample(Random r) {
        return switch (kind) {
            case "choice" -> values.get(r.nextInt(values.size()));
            case "int_uniform" -> ConfigValueFactory.fromAnyRef((long) lo + (long) Math.floor(r.nextDouble() * (hi - lo + 1)));
            case "uniform" -> real(lo + r.nextDouble() * (hi - lo));
            case "log_uniform" -> real(Math.exp(Math.log(lo) + r.nextDouble() * (Math.log(hi) - Math.log(lo))));
            default -> throw new IllegalStateException(kind);
        };
    }

    private ConfigValue real(double x) {
        double rounded = new BigDecimal(x).round(new MathContext(4)).doubleValue();
        // rounding must not leave [lo, hi]
        return ConfigValueFactory.fromAnyRef(Math.min(hi, Math.max(lo, rounded)));
    }
}
