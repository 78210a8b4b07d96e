/* kf-transfer-walk.c: the sender's list of what it offers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sender is given files and folders in any mix.  It walks them depth
 * first, each folder's entries in byte order of their names, and builds
 * the manifest.  A path the user named is taken as it is (a link the user
 * named is the user's choice); inside a folder nothing is followed:
 * folders are opened relative to their parent with O_NOFOLLOW, entries
 * looked at with lstat semantics, and symbolic links, devices, sockets and
 * FIFOs are skipped and reported, as are folders that cannot be read and
 * names that cannot be sent.  Files are read only later, as they stream
 * (kf-transfer-sender.c).
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "kf-transfer-private.h"

typedef struct
{
  KfManifest *manifest;
  GPtrArray  *skipped;
  GError     *error;
} Walk;

static void
skip (Walk       *walk,
      const char *rel,
      guint64     size)
{
  KfTransferFileResult *file = g_new0 (KfTransferFileResult, 1);

  file->path = g_strdup (rel);
  file->size = size;
  file->status = KF_TRANSFER_FILE_SKIPPED;
  g_ptr_array_add (walk->skipped, file);
}

/* A name unique among @taken (its siblings so far): the display form of
 * @raw, numbered if two raw names display alike. */
static char *
unique_name (GHashTable *taken,
             const char *raw)
{
  g_autofree char *display = g_filename_display_name (raw);
  char *name = g_strdup (display);

  for (guint n = 2; g_hash_table_contains (taken, name); n++)
    {
      g_free (name);
      name = kf_manifest_numbered_name (display, n);
    }
  g_hash_table_add (taken, g_strdup (name));
  return name;
}

/* The name to send for @raw, an entry of the folder open as @dir_fd: @raw
 * itself when it is UTF-8 (names on disk are unique); otherwise its
 * display form, numbered until it is neither a name on disk in the
 * folder nor one given before (@shown: the display names given so far).
 * Only the few names that are not UTF-8 are remembered, not every name
 * of a folder that may hold 100,000. */
static char *
child_name (int         dir_fd,
            GHashTable *shown,
            const char *raw)
{
  g_autofree char *display = NULL;
  char *name;
  struct stat st;

  if (g_utf8_validate (raw, -1, NULL))
    return g_strdup (raw);
  display = g_filename_display_name (raw);
  name = g_strdup (display);
  for (guint n = 2; g_hash_table_contains (shown, name)
                    || fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0; n++)
    {
      g_free (name);
      name = kf_manifest_numbered_name (display, n);
    }
  g_hash_table_add (shown, g_strdup (name));
  return name;
}

/* Adds one entry; fails the walk when the manifest is full. */
static gboolean
add (Walk           *walk,
     KfManifestKind  kind,
     guint           depth,
     const char     *name,
     guint64         size,
     const char     *source,
     const char     *rel)
{
  if (kf_manifest_get_n_entries (walk->manifest) >= KF_TRANSFER_MAX_ENTRIES)
    {
      if (walk->error == NULL)
        walk->error = g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                                   _("There are more than %u files and folders to send. Send them in parts."),
                                   KF_TRANSFER_MAX_ENTRIES);
      return FALSE;
    }
  if (kf_manifest_add (walk->manifest, kind, depth, name, size, source))
    return TRUE;
  skip (walk, rel, size);
  return FALSE;
}

static void walk_folder (Walk *walk, int fd, const char *path, const char *rel, guint depth);

/* Looks at one entry of a folder, without following it. */
static void
walk_child (Walk       *walk,
            int         dir_fd,
            const char *raw,
            const char *name,
            const char *path,
            const char *rel,
            guint       depth)
{
  /* The name on disk is kept only where it is not the name sent. */
  const char *source = strcmp (raw, name) != 0 ? raw : NULL;
  struct stat st;
  int fd;

  if (fstatat (dir_fd, raw, &st, AT_SYMLINK_NOFOLLOW) != 0
      || !(S_ISREG (st.st_mode) || S_ISDIR (st.st_mode)))
    {
      skip (walk, rel, 0);
      return;
    }
  if (S_ISREG (st.st_mode))
    {
      add (walk, KF_MANIFEST_FILE, depth, name, (guint64) st.st_size, source, rel);
      return;
    }
  fd = openat (dir_fd, raw, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    skip (walk, rel, 0);
  else if (add (walk, KF_MANIFEST_FOLDER, depth, name, 0, source, rel))
    walk_folder (walk, fd, path, rel, depth + 1);
  else
    close (fd);
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The names in the folder open as @fd, sorted, kept back to back in
 * @store (a pointer and the name's bytes each, while the folder is
 * walked); takes @fd. */
static GPtrArray *
list_folder (int           fd,
             GStringChunk *store)
{
  GPtrArray *names = g_ptr_array_new ();
  DIR *dir = fdopendir (fd);
  struct dirent *d;

  if (dir == NULL)
    {
      close (fd);
      return names;
    }
  while ((d = readdir (dir)) != NULL)
    if (strcmp (d->d_name, ".") != 0 && strcmp (d->d_name, "..") != 0)
      g_ptr_array_add (names, g_string_chunk_insert (store, d->d_name));
  closedir (dir);
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* Walks the folder open as @fd (taken) at @path, whose entries have
 * @depth. */
static void
walk_folder (Walk       *walk,
             int         fd,
             const char *path,
             const char *rel,
             guint       depth)
{
  int dir_fd = dup (fd);
  GStringChunk *store = g_string_chunk_new (16 * 1024);
  g_autoptr(GPtrArray) names = list_folder (fd, store);
  g_autoptr(GHashTable) shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; dir_fd >= 0 && i < names->len && walk->error == NULL; i++)
    {
      const char *raw = names->pdata[i];
      g_autofree char *name = child_name (dir_fd, shown, raw);
      g_autofree char *child = g_build_filename (path, raw, NULL);
      g_autofree char *child_rel = g_strconcat (rel, "/", name, NULL);

      walk_child (walk, dir_fd, raw, name, child, child_rel, depth);
    }
  if (dir_fd >= 0)
    close (dir_fd);
  g_string_chunk_free (store);
}

/* Adds one path the user named, following it if it is a link. */
static void
walk_top (Walk       *walk,
          GFile      *file,
          GHashTable *taken)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *base = g_file_get_basename (file);
  g_autofree char *name = NULL;
  struct stat st;
  int fd;

  if (path == NULL || base == NULL)
    {
      walk->error = g_error_new_literal (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                                         _("Only local files and folders can be sent."));
      return;
    }
  name = unique_name (taken, base);
  if (stat (path, &st) != 0)
    {
      g_autofree char *shown = g_filename_display_name (path);

      walk->error = g_error_new (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                                 _("Could not read “%s”: %s"), shown, g_strerror (errno));
      return;
    }
  if (S_ISREG (st.st_mode))
    add (walk, KF_MANIFEST_FILE, 0, name, (guint64) st.st_size, path, name);
  else if (!S_ISDIR (st.st_mode))
    skip (walk, name, 0);
  else if ((fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    skip (walk, name, 0);
  else if (add (walk, KF_MANIFEST_FOLDER, 0, name, 0, path, name))
    walk_folder (walk, fd, path, name, 1);
  else
    close (fd);
}

/*
 * _kf_transfer_walk:
 * @skipped: receives a %KF_TRANSFER_FILE_SKIPPED result for each entry
 *   left out
 * @is_tree: (out): %FALSE when @files is exactly one regular file
 *
 * Returns: (transfer full): the manifest of @files, or %NULL with
 * %KF_TRANSFER_ERROR_IO when a named path cannot be read, is not local,
 * there are more than %KF_TRANSFER_MAX_ENTRIES entries, or nothing at all
 * can be sent.
 */
KfManifest *
_kf_transfer_walk (GFile     **files,
                   guint       n_files,
                   GPtrArray  *skipped,
                   gboolean   *is_tree,
                   GError    **error)
{
  Walk walk = { kf_manifest_new (), skipped, NULL };
  g_autoptr(GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const KfManifestEntry *first;

  for (guint i = 0; i < n_files && walk.error == NULL; i++)
    walk_top (&walk, files[i], taken);
  if (walk.error == NULL && kf_manifest_get_n_entries (walk.manifest) == 0)
    walk.error = g_error_new_literal (KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO,
                                      _("There is nothing to send: only links, devices or unreadable files were given."));
  if (walk.error != NULL)
    {
      g_propagate_error (error, walk.error);
      kf_manifest_unref (walk.manifest);
      return NULL;
    }
  first = kf_manifest_get_entry (walk.manifest, 0);
  *is_tree = !(n_files == 1 && kf_manifest_get_n_entries (walk.manifest) == 1
               && first->kind == KF_MANIFEST_FILE);
  return walk.manifest;
}
