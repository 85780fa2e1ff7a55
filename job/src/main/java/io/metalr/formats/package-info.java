/**
 * Container formats of untrusted files shared by the data and the model readers: zip archives
 * ({@link io.metalr.formats.BoundedZip}) and NumPy {@code .npy} arrays ({@link io.metalr.formats.NpyFormat}).
 * Every size and offset a file declares is checked against the bytes it has before anything is
 * allocated by it; a file that fails is a {@link io.metalr.formats.MalformedFileException} naming it.
 */
package io.metalr.formats;
