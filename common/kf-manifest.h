/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-transfer.h"

G_BEGIN_DECLS

/* Largest manifest plaintext (docs/PROTOCOL.md, part 2, §10). */
#define KF_MANIFEST_MAX_BYTES   (32 * 1024 * 1024)
#define KF_MANIFEST_HEADER_SIZE 12

typedef enum
{
  KF_MANIFEST_FILE   = 1,
  KF_MANIFEST_FOLDER = 2,
} KfManifestKind;

/* One entry, in depth-first order.  Its folder is entry @parent
 * (G_MAXUINT at the top level).  24 bytes: the names live in the
 * manifest's one string store, and what only few entries have (a name
 * as offered, a name on disk) in side tables (kf_manifest_get_offered(),
 * kf_manifest_source_path()). */
typedef struct
{
  const char     *name;      /* sender: as sent; receiver: sanitised, unique among its siblings */
  guint64         size;
  guint32         parent;
  guint8          kind;      /* KfManifestKind */
  guint8          depth;
} KfManifestEntry;

KfManifest            *kf_manifest_new           (void);
KfManifest            *kf_manifest_ref           (KfManifest        *self);
void                   kf_manifest_unref         (KfManifest        *self);
gboolean               kf_manifest_add           (KfManifest        *self,
                                                  KfManifestKind     kind,
                                                  guint              depth,
                                                  const char        *name,
                                                  guint64            size,
                                                  const char        *source);
guint                  kf_manifest_get_n_entries (const KfManifest  *self);
const KfManifestEntry *kf_manifest_get_entry     (const KfManifest  *self,
                                                  guint              index);
const char            *kf_manifest_get_offered   (const KfManifest  *self,
                                                  guint              index);
char                  *kf_manifest_source_path   (const KfManifest  *self,
                                                  guint              index);
guint                  kf_manifest_get_n_files   (const KfManifest  *self);
guint                  kf_manifest_get_n_folders (const KfManifest  *self);
guint64                kf_manifest_get_total     (const KfManifest  *self);
char                  *kf_manifest_path          (const KfManifest  *self,
                                                  guint              index,
                                                  gboolean           offered);
guint8                *kf_manifest_encode        (const KfManifest  *self,
                                                  gsize             *len);
KfManifest            *kf_manifest_parse         (const guint8      *buf,
                                                  gsize              len,
                                                  GError           **error);
char                  *kf_manifest_numbered_name (const char        *name,
                                                  guint              n);

/* For kf-manifest-parse.c: appends an entry as is, copying the strings;
 * returns the stored name. */
const char            *_kf_manifest_append       (KfManifest        *self,
                                                  KfManifestKind     kind,
                                                  guint              depth,
                                                  guint              parent,
                                                  const char        *name,
                                                  const char        *offered,
                                                  guint64            size,
                                                  const char        *source);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfManifest, kf_manifest_unref)

G_END_DECLS
