package io.metalr.report;

import io.metalr.config.JobConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes file paths out of an error message before it is stored or printed by a command that goes
 * on (a sweep's failed trial: {@code results.csv}, {@code comparison.md}, the sweep's log). A bad
 * record's message names its image file, whose path often carries a patient's name or number;
 * what the message says about it (a manifest's row, what is wrong) stays.
 *
 * <p>Replaced by {@value #PATH}: a quoted part or a word that holds a path separator ({@code /} or
 * {@code \}, so also URIs such as {@code hdfs://nn/x}) or that ends in an image or volume file's
 * extension. A path with spaces inside quotes goes whole; unquoted, each of its words that holds a
 * separator goes, and the words between them (folder names with spaces) are the one thing left.
 * A path the config names ({@link #configuredPaths}: {@code data.path}, {@code model.pretrained},
 * ...) stays, as does a data file named by its file name alone, as readers name a manifest
 * ({@code labels.csv row 7}): they are the configured data set, not a record.
 */
public final class Redaction {

    /** What a path is replaced by. */
    public static final String PATH = "<path>";

    private static final String EXTENSIONS = "png|jpe?g|nii|nii\\.gz|dcm|dicom|tiff?|bmp|gif";
    private static final Pattern QUOTED = Pattern.compile("'[^'\\n]*'|\"[^\"\\n]*\"");
    /** A word and the punctuation around it that is not part of a path. */
    private static final Pattern WORD = Pattern.compile("([\\[(<'\"]*)([^\\s]+?)([\\])>'\",;:.]*)(?=\\s|$)");
    private static final Pattern IMAGE_FILE = Pattern.compile("(?i).+\\.(" + EXTENSIONS + ")");
    /** What may stand before a configured path: nothing, or a scheme such as file: or hdfs://nn:8020. */
    private static final Pattern SCHEME = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*:(//[^/\\s]*)?)?");

    /** The config keys that name files or folders: what a user configured, no record of the data. */
    private static final List<String> PATH_KEYS = List.of("data.path", "data.nifti.label_path", "model.pretrained", "run.dir");

    private Redaction() {}

    /** The paths {@code cfg} names, which a stored message may keep. */
    public static List<String> configuredPaths(JobConfig cfg) {
        List<String> out = new ArrayList<>();
        for (String key : PATH_KEYS) {
            String v = cfg.string(key).trim();
            if (!v.isEmpty()) {
                out.add(v);
            }
        }
        return out;
    }

    /** A trial's failure as stored: {@code kind: message}, the message without paths but {@code configured}. */
    public static String failure(String kind, Throwable e, Collection<String> configured) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return kind + ": " + withoutPaths(message, configured);
    }

    /** {@code text} with every path replaced by {@value #PATH}. */
    public static String withoutPaths(String text) {
        return withoutPaths(text, List.of());
    }

    /** {@code text} with every path but those in {@code configured} replaced by {@value #PATH}. */
    public static String withoutPaths(String text, Collection<String> configured) {
        if (text == null) {
            return null;
        }
        StringBuilder quotedDone = new StringBuilder();
        Matcher q = QUOTED.matcher(text);
        while (q.find()) {
            String inner = q.group().substring(1, q.group().length() - 1);
            String quote = q.group().substring(0, 1);
            boolean path = false;
            for (String word : inner.strip().split("\\s+")) {
                path |= isPath(word, configured);
            }
            q.appendReplacement(quotedDone, Matcher.quoteReplacement(path ? quote + PATH + quote : q.group()));
        }
        q.appendTail(quotedDone);
        StringBuilder out = new StringBuilder();
        Matcher w = WORD.matcher(quotedDone);
        while (w.find()) {
            w.appendReplacement(out, Matcher.quoteReplacement(
                    isPath(w.group(2), configured) ? w.group(1) + PATH + w.group(3) : w.group()));
        }
        w.appendTail(out);
        return out.toString();
    }

    /**
     * A word with a separator and something besides separators in it, or an image file's name;
     * not a configured path (as given, or qualified with a scheme and authority).
     */
    private static boolean isPath(String word, Collection<String> configured) {
        for (String c : configured) {
            if (word.endsWith(c) && SCHEME.matcher(word.substring(0, word.length() - c.length())).matches()) {
                return false;
            }
        }
        boolean separator = word.indexOf('/') >= 0 || word.indexOf('\\') >= 0;
        boolean other = word.chars().anyMatch(Character::isLetterOrDigit);
        return (separator && other) || IMAGE_FILE.matcher(word.toLowerCase(Locale.ROOT)).matches();
    }
}
