/**
 * Evaluation metrics for the classification heads: per-split metrics ({@link io.metalr.eval.ClassificationMetrics}),
 * streaming over a test set ({@link io.metalr.eval.MetricsAccumulator}), cross-validation summaries
 * ({@link io.metalr.eval.CrossValidationSummary}) and best-epoch tracking ({@link io.metalr.eval.ModelSelection}).
 *
 * <p>Plain JDK only, so the numbers can be checked without an engine and computed on the driver.
 */
package io.metalr.eval;
