/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-cipher.h"
#include "kf-peer-link.h"
#include "kf-transfer-error.h"

G_BEGIN_DECLS

/* Plaintext bytes per data record the sender produces. */
#define KF_TRANSFER_CHUNK_SIZE   (256 * 1024)
/* Largest plain size an offer may announce (1 EiB). */
#define KF_TRANSFER_MAX_SIZE     (G_GUINT64_CONSTANT (1) << 60)
/* Longest file name an offer may carry, in bytes, before sanitising. */
#define KF_TRANSFER_MAX_NAME     1024
/* What must stay free on the receiver's disk after the file (or 5 % of
 * a smaller file system): a transfer never fills a disk to zero. */
#define KF_TRANSFER_SPACE_MARGIN (G_GUINT64_CONSTANT (256) * 1024 * 1024)

/* Limits of a transfer of several files (docs/PROTOCOL.md, part 2, §10). */
#define KF_TRANSFER_MAX_ENTRIES  100000   /* files and folders in one offer */
#define KF_TRANSFER_MAX_DEPTH    64       /* folder levels below the chosen folder */
/* How many top-level names an offer keeps to show. */
#define KF_TRANSFER_MAX_SHOWN    16

typedef struct _KfManifest KfManifest;
typedef struct _KfTransferFiles KfTransferFiles;

/* One of the top-level entries an offer shows, beside its name. */
typedef struct
{
  guint64       size;            /* a file's size; a folder's: its files', all levels */
  gboolean      is_folder;
} KfTransferTopEntry;

/* What the receiver is asked about (flow step 9). */
typedef struct _KfTransferOffer
{
  char         *name;            /* sanitised: the single file's name, or the
                                  * first top-level name of a tree */
  guint64       plain_size;      /* total plaintext bytes */
  guint64       encrypted_size;  /* what the chains will carry, padding included */
  KfCipherMode  mode;
  guint         n_files;         /* regular files, empty ones included */
  guint         n_folders;
  char        **top_level;       /* sanitised top-level names, the first
                                  * KF_TRANSFER_MAX_SHOWN, NULL-terminated */
  guint         n_top_level;     /* how many top-level entries there are */
  KfTransferTopEntry *top_entries; /* one per name of top_level: folder or file, size */
  gboolean      is_tree;         /* FALSE: exactly one file offered alone
                                  * (accept into a file); TRUE: accept into a folder */
  KfManifest   *manifest;        /* private: the checked entries of a tree */
} KfTransferOffer;

typedef enum
{
  KF_TRANSFER_FILE_ARRIVED,      /* saved under its offered name (sender: delivered) */
  KF_TRANSFER_FILE_RENAMED,      /* saved under another name: see offered_path */
  KF_TRANSFER_FILE_SKIPPED,      /* sender: a link, device, socket, FIFO or unreadable */
  KF_TRANSFER_FILE_INCOMPLETE,   /* never saved (sender: not sent whole): the transfer
                                  * stopped first */
  KF_TRANSFER_FILE_SENT,         /* sender: every byte went out, but the transfer stopped
                                  * before the receiver confirmed it had them all */
} KfTransferFileStatus;

/* One file or folder of a transfer, in a result. */
typedef struct
{
  char                 *path;          /* relative, '/'-separated, as it arrived (cleaned) */
  char                 *offered_path;  /* when RENAMED: the path the sender offered (cleaned) */
  guint64               size;
  guint64               blocks;        /* AES blocks of this file's chain */
  KfTransferFileStatus  status;
  gboolean              is_folder;
} KfTransferFileResult;

/* What a finished transfer reports to the key manager (flow step 10). */
typedef struct
{
  guint64    blocks;       /* AES blocks the cipher processed on this side, all files */
  guint64    plain_bytes;
  char       digest[65];   /* transcript digest (SHA-256 of the data records' tags), 64 hex digits */
  char      *path;         /* the file sent or received; for a tree: the receiver's
                            * folder, the sender's first path */
  KfTransferFiles *files;  /* every file and folder, in offer order (skipped ones
                            * first), each built only when asked for */
} KfTransferResult;

/* Called with each file of a KfTransferFiles, which is valid only during
 * the call; returns %FALSE to stop. */
typedef gboolean (*KfTransferFilesFunc) (const KfTransferFileResult *file,
                                         gpointer                    user_data);

/* How far a transfer is, posted to the caller's main context. */
typedef struct
{
  guint64                      done;              /* plaintext bytes */
  guint64                      total;
  double                       bytes_per_second;  /* mean since the data started */
  guint                        files_done;
  guint                        files_total;
  const char                  *current_file;      /* relative path, cleaned; NULL when none */
  const KfTransferFileResult  *landed;            /* non-NULL once per file as it is saved
                                                   * (receiver, ARRIVED or RENAMED) or sent
                                                   * whole (sender, SENT; also its SKIPPED
                                                   * entries once accepted): those reports come
                                                   * in a row, several files at a time, before
                                                   * one with it NULL */
  const KfTransferOffer       *offer;             /* sender: non-NULL in one report of its own,
                                                   * the first, once the files are walked: what
                                                   * it offers, with the manifest */
} KfTransferProgress;

typedef void (*KfTransferProgressFunc) (const KfTransferProgress *progress,
                                        gpointer                  user_data);

#define KF_TYPE_TRANSFER_OFFER  (kf_transfer_offer_get_type ())
#define KF_TYPE_TRANSFER_RESULT (kf_transfer_result_get_type ())
#define KF_TYPE_TRANSFER_FILE_RESULT (kf_transfer_file_result_get_type ())

GType             kf_transfer_offer_get_type       (void) G_GNUC_CONST;
KfTransferOffer  *kf_transfer_offer_copy           (const KfTransferOffer  *offer);
void              kf_transfer_offer_free           (KfTransferOffer        *offer);
guint8           *kf_transfer_offer_encode         (const char             *name,
                                                    guint64                 plain_size,
                                                    gsize                  *len);
KfTransferOffer  *kf_transfer_offer_parse          (const guint8           *buf,
                                                    gsize                   len,
                                                    KfCipherMode            mode,
                                                    GError                **error);
KfTransferOffer  *kf_transfer_offer_new_for_manifest (KfManifest           *manifest,
                                                      KfCipherMode          mode);

GType             kf_transfer_result_get_type      (void) G_GNUC_CONST;
KfTransferResult *kf_transfer_result_copy          (const KfTransferResult *result);
void              kf_transfer_result_free          (KfTransferResult       *result);

GType                 kf_transfer_file_result_get_type (void) G_GNUC_CONST;
KfTransferFileResult *kf_transfer_file_result_copy     (const KfTransferFileResult *file);
void                  kf_transfer_file_result_free     (KfTransferFileResult       *file);
const char           *kf_transfer_file_status_to_string (KfTransferFileStatus      status);

#define KF_TYPE_TRANSFER_FILES (kf_transfer_files_get_type ())

GType             kf_transfer_files_get_type       (void) G_GNUC_CONST;
KfTransferFiles  *kf_transfer_files_ref            (KfTransferFiles        *files);
void              kf_transfer_files_unref          (KfTransferFiles        *files);
guint             kf_transfer_files_get_length     (KfTransferFiles        *files);
gboolean          kf_transfer_files_foreach        (KfTransferFiles        *files,
                                                    KfTransferFilesFunc     func,
                                                    gpointer                user_data);
GPtrArray        *kf_transfer_files_to_array       (KfTransferFiles        *files);

gboolean          kf_transfer_check_space          (GFile                  *folder,
                                                    guint64                 size,
                                                    GError                **error);
guint64           kf_transfer_space_margin         (guint64                 fs_size);

void              kf_transfer_send_async           (KfPeerLink             *link,
                                                    GFile                 **files,
                                                    guint                   n_files,
                                                    KfTransferProgressFunc  progress,
                                                    gpointer                progress_data,
                                                    GDestroyNotify          progress_notify,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
KfTransferResult *kf_transfer_send_finish          (GAsyncResult           *result,
                                                    GError                **error);
KfTransferFiles  *kf_transfer_send_get_files       (GAsyncResult           *result);

void              kf_transfer_receive_offer_async  (KfPeerLink             *link,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
KfTransferOffer  *kf_transfer_receive_offer_finish (GAsyncResult           *result,
                                                    GError                **error);

void              kf_transfer_receive_async        (KfPeerLink             *link,
                                                    const KfTransferOffer  *offer,
                                                    GFile                  *destination,
                                                    gboolean                overwrite,
                                                    KfTransferProgressFunc  progress,
                                                    gpointer                progress_data,
                                                    GDestroyNotify          progress_notify,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
KfTransferResult *kf_transfer_receive_finish       (GAsyncResult           *result,
                                                    GError                **error);
KfTransferFiles  *kf_transfer_receive_get_files    (GAsyncResult           *result);

void              kf_transfer_decline_async        (KfPeerLink             *link,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
gboolean          kf_transfer_decline_finish       (GAsyncResult           *result,
                                                    GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfTransferOffer, kf_transfer_offer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfTransferResult, kf_transfer_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfTransferFileResult, kf_transfer_file_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfTransferFiles, kf_transfer_files_unref)

G_END_DECLS
