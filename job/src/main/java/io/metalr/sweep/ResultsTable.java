package io.metalr.sweep;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The results table, one row per trial, with the same columns in {@code results.csv} and
 * {@code results.parquet}. The CSV is RFC 4180 (fields with a comma, quote or line break are
 * quoted, quotes doubled), empty for null, doubles at full precision ({@code NaN} where undefined).
 */
public final class ResultsTable {

    private record Column(String name, DataType type, Function<TrialResult, Object> value) {}

    private static final List<Column> COLUMNS = List.of(
            new Column("trial", DataTypes.IntegerType, TrialResult::trial),
            new Column("config", DataTypes.IntegerType, TrialResult::config),
            new Column("variant", DataTypes.StringType, TrialResult::variant),
            new Column("strategy", DataTypes.StringType, TrialResult::strategy),
            new Column("params", DataTypes.StringType, TrialResult::params),
            new Column("seed", DataTypes.LongType, TrialResult::seed),
            new Column("fold", DataTypes.IntegerType, TrialResult::fold),
            new Column("status", DataTypes.StringType, TrialResult::status),
            new Column("error", DataTypes.StringType, TrialResult::error),
            new Column("val_accuracy", DataTypes.DoubleType, TrialResult::valAccuracy),
            new Column("val_auc", DataTypes.DoubleType, TrialResult::valAuc),
            new Column("val_loss", DataTypes.DoubleType, TrialResult::valLoss),
            new Column("test_accuracy", DataTypes.DoubleType, TrialResult::testAccuracy),
            new Column("test_auc", DataTypes.DoubleType, TrialResult::testAuc),
            new Column("test_loss", DataTypes.DoubleType, TrialResult::testLoss),
            new Column("best_epoch", DataTypes.IntegerType, TrialResult::bestEpoch),
            new Column("steps", DataTypes.LongType, TrialResult::steps),
            new Column("final_lr", DataTypes.StringType, TrialResult::finalLr),
            new Column("train_seconds", DataTypes.DoubleType, TrialResult::trainSeconds),
            new Column("started_at_ms", DataTypes.LongType, TrialResult::startedAtMs),
            new Column("ended_at_ms", DataTypes.LongType, TrialResult::endedAtMs),
            new Column("executor", DataTypes.StringType, TrialResult::executor));

    public static final StructType SCHEMA = new StructType(COLUMNS.stream()
            .map(c -> new StructField(c.name(), c.type(), true, org.apache.spark.sql.types.Metadata.empty()))
            .toArray(StructField[]::new));

    private ResultsTable() {}

    public static String csv(List<TrialResult> results) {
        StringBuilder b = new StringBuilder();
        b.append(String.join(",", COLUMNS.stream().map(Column::name).toList())).append('\n');
        for (TrialResult r : results) {
            List<String> fields = new ArrayList<>();
            for (Column c : COLUMNS) {
                Object v = c.value().apply(r);
                fields.add(v == null ? "" : quote(v.toString()));
            }
            b.append(String.join(",", fields)).append('\n');
        }
        return b.toString();
    }

    public static Dataset<Row> frame(SparkSession spark, List<TrialResult> results) {
        List<Row> rows = new ArrayList<>();
        for (TrialResult r : results) {
            rows.add(RowFactory.create(COLUMNS.stream().map(c -> c.value().apply(r)).toArray()));
        }
        return spark.createDataFrame(rows, SCHEMA);
    }

    private static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
