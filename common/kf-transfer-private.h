/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

/* Internals shared by the files of the transfer engine, kf-transfer*.c.
 * Not installed, not for callers. */

#include <gcrypt.h>

#include "kf-manifest.h"
#include "kf-transfer.h"

G_BEGIN_DECLS

/* How many buffers circulate between two pipeline stages. */
#define KF_TRANSFER_QUEUE_DEPTH 4

typedef struct _KfProgress KfProgress;

KfProgress   *_kf_progress_new              (KfTransferProgressFunc  func,
                                             gpointer                data,
                                             GDestroyNotify          notify,
                                             guint64                 total);
void          _kf_progress_set_total        (KfProgress             *self,
                                             guint64                 total);
void          _kf_progress_update           (KfProgress             *self,
                                             guint64                 done,
                                             gboolean                force);
void          _kf_progress_set_files        (KfProgress             *self,
                                             guint                   files_done,
                                             guint                   files_total);
void          _kf_progress_set_current      (KfProgress             *self,
                                             const char             *path);
void          _kf_progress_post             (KfProgress             *self,
                                             guint64                 done,
                                             gboolean                force,
                                             const KfTransferFileResult *landed);
void          _kf_progress_post_offer       (KfProgress             *self,
                                             const KfTransferOffer  *offer);
void          _kf_progress_free             (KfProgress             *self);

KfTransferResult *_kf_transfer_result_new   (KfTransferFiles        *files);

/* The per-file list of a transfer, derived from its manifest
 * (kf-transfer-files.c). */
KfTransferFiles *_kf_transfer_files_new     (KfManifest             *manifest,
                                             gboolean                receiver);
void          _kf_transfer_files_add        (KfTransferFiles        *self,
                                             KfTransferFileResult   *file);
void          _kf_transfer_files_set_blocks (KfTransferFiles        *self,
                                             guint                   file,
                                             guint64                 blocks);
guint64       _kf_transfer_files_get_blocks (KfTransferFiles        *self,
                                             guint                   file);
void          _kf_transfer_files_landed     (KfTransferFiles        *self,
                                             guint                   index,
                                             const char             *name);
void          _kf_transfer_files_set_done   (KfTransferFiles        *self,
                                             guint                   n_entries);
void          _kf_transfer_files_set_delivered (KfTransferFiles     *self);

/* The most pieces one pipeline buffer carries: the small files of a tree
 * travel many to a buffer, so the threads wake once per buffer, not once
 * per file. */
#define KF_CHUNK_MAX_PIECES 256

/* One record's worth of one file in a pipeline buffer. */
typedef struct
{
  gsize     offset;  /* where it starts in the buffer (a sealed record: its header) */
  gsize     len;     /* its bytes (a sealed record: its payload) */
  guint64   plain;   /* plaintext bytes it stands for */
  guint     file;    /* the file's number among the manifest's files */
  guint     entry;   /* its entry in the manifest */
  gboolean  first;   /* the file's first piece */
  gboolean  last;    /* the file's last piece */
  gboolean  end;     /* the transfer's last piece */
} KfPiece;

/* One buffer travelling between pipeline threads: @n_pieces pieces in
 * @len bytes of @data, in order. */
typedef struct
{
  guint8   *data;
  gsize     size;    /* what @data holds */
  gsize     len;
  guint     n_pieces;
  gint64    started; /* when the first piece came (monotonic, µs) */
  KfPiece   pieces[KF_CHUNK_MAX_PIECES];
} KfChunk;

KfChunk      *_kf_chunk_new                 (gsize                   size);
void          _kf_chunk_free                (KfChunk                *chunk);
void          _kf_chunk_reset               (KfChunk                *chunk);
gboolean      _kf_chunk_has_room            (const KfChunk          *chunk,
                                             gsize                   len);
KfPiece      *_kf_chunk_add                 (KfChunk                *chunk,
                                             gsize                   len);

/* The first error of a job with several threads, and the cancellable that
 * tells every thread to stop. */
typedef struct
{
  GMutex        lock;
  GError       *error;
  GCancellable *stop;
} KfJobState;

void          _kf_job_state_init            (KfJobState             *state);
void          _kf_job_state_clear           (KfJobState             *state);
void          _kf_job_fail                  (KfJobState             *state,
                                             GError                 *error);
GError       *_kf_job_steal_error           (KfJobState             *state);
gpointer      _kf_job_pop                   (KfJobState             *state,
                                             GAsyncQueue            *queue);

/* Whose data records a receiver checks: the user reads different words
 * for a file offered alone and for one file of a tree. */
typedef enum
{
  KF_RECORD_SCOPE_FILE,   /* offered alone: nothing was saved */
  KF_RECORD_SCOPE_TREE,   /* one file of a tree: that file was not saved */
} KfRecordScope;

gboolean      _kf_transfer_check_data_record (const KfRecordHeader *header,
                                              const guint8         *payload,
                                              guint64               expected,
                                              guint64              *cipher_bytes,
                                              KfRecordScope         scope,
                                              GError              **error);
KfPiece      *_kf_transfer_decrypt_record   (KfCipher               *cipher,
                                             const guint8           *payload,
                                             gsize                   len,
                                             gboolean                final,
                                             KfChunk                *buf,
                                             KfRecordScope           scope,
                                             GError                **error);

/* The receiver's page cache window: writeback of what a file received
 * is started every KF_WRITEBACK_WINDOW bytes, and pages two windows
 * behind are waited for and dropped (kf-transfer-job.c). */
#define KF_WRITEBACK_WINDOW (8 * 1024 * 1024)

typedef struct
{
  int      fd;        /* -1: the file system cannot, nothing is done */
  guint64  written;
  guint64  started;   /* writeback started up to here */
  guint64  dropped;   /* written back and dropped from the cache up to here */
} KfWriteback;

void          _kf_writeback_init            (KfWriteback            *wb,
                                             int                     fd);
gboolean      _kf_writeback_wrote           (KfWriteback            *wb,
                                             gsize                   len,
                                             GError                **error);

/* What a sender's and a receiver's job share (kf-transfer-job.c). */
typedef struct
{
  KfPeerLink   *link;
  KfProgress   *progress;
  KfCipher     *cipher;      /* the file's, under the session keys */
  gcry_md_hd_t  transcript;
  gcry_mac_hd_t iv_mac;      /* keyed once for the files' IVs */
  KfJobState    state;
  GPtrArray    *buffers;     /* every KfChunk of the job's queues */
} KfTransferJob;

void          _kf_transfer_job_init         (KfTransferJob      *job,
                                             KfPeerLink         *link,
                                             KfProgress         *progress);
void          _kf_transfer_job_clear        (KfTransferJob      *job);
gboolean      _kf_transfer_job_start_cipher (KfTransferJob      *job,
                                             KfCipherDirection   direction,
                                             GError            **error);
gboolean      _kf_transfer_job_start_file   (KfTransferJob      *job,
                                             KfCipherDirection   direction,
                                             gint64              index,
                                             GError            **error);
void          _kf_transfer_file_iv          (const KfSessionKeys *keys,
                                             guint64             index,
                                             guint8              iv[KF_CIPHER_IV_SIZE]);
GAsyncQueue  *_kf_transfer_job_new_queue    (KfTransferJob      *job,
                                             gsize               size);

/* A sender's job (kf-transfer-sender.c), whose reader thread is in
 * kf-transfer-send-read.c. */
typedef struct
{
  KfTransferJob     base;
  GPtrArray        *files;          /* GFile: what the caller gave */
  KfManifest       *manifest;
  GPtrArray        *skipped;        /* KfTransferFileResult */
  gboolean          is_tree;
  guint64           size;
  KfTransferFiles  *list;           /* the result's list: each file's blocks,
                                     * the entries gone whole so far */
  guint64           blocks;
  GAsyncQueue      *free_plain;
  GAsyncQueue      *full_plain;
  GAsyncQueue      *free_records;
  GAsyncQueue      *full_records;
  KfChunk          *filling;        /* the reader's, being filled */
  gint              all_written;    /* atomic: the final record went out */
  gboolean          done;
} KfSendJob;

gpointer      _kf_transfer_send_reader      (gpointer                data);

/* The sender's walk of the files and folders it was given
 * (kf-transfer-walk.c). */
KfManifest   *_kf_transfer_walk             (GFile                 **files,
                                             guint                   n_files,
                                             GPtrArray              *skipped,
                                             gboolean               *is_tree,
                                             GError                **error);

/* A tree receiver's job (kf-transfer-tree.c), whose network thread is
 * in kf-transfer-tree-net.c. */
typedef struct
{
  KfTransferJob     base;
  KfTransferOffer  *offer;
  KfManifest       *manifest;
  char             *folder;
  gboolean          overwrite;
  int               root_fd;
  GHashTable       *top_names;     /* index → the local name of a top-level entry,
                                    * where it is not the manifest's */
  KfTransferFiles  *list;          /* the result's: blocks set by the network
                                    * thread, entries landed by the disk thread */
  guint64           blocks;
  GAsyncQueue      *free_bufs;
  GAsyncQueue      *full_bufs;
  KfChunk          *filling;       /* the network thread's, being filled */
  /* The disk thread's. */
  KfChunk          *reading;       /* the buffer being written out */
  guint             next_piece;    /* its next piece */
  int               dir_fds[KF_TRANSFER_MAX_DEPTH];
  char             *dir_paths[KF_TRANSFER_MAX_DEPTH];
  int               temp_fd;
  char             *temp_name;     /* NULL for an anonymous temporary file */
  int               temp_dir;
  guint64           written;
  guint             files_done;
} KfTreeJob;

gboolean      _kf_transfer_tree_receive_files (KfTreeJob           *job,
                                               GCancellable        *cancellable,
                                               GError             **error);

/* Receiving a tree (kf-transfer-tree.c). */
void          _kf_transfer_receive_tree     (GTask                  *task,
                                             KfPeerLink             *link,
                                             const KfTransferOffer  *offer,
                                             GFile                  *folder,
                                             gboolean                overwrite,
                                             KfProgress             *progress);

/* The transfer's transcript digest: SHA-256 over the tags of its data
 * records, in order (docs/PROTOCOL.md, part 2, section 9). */
gcry_md_hd_t  _kf_transcript_new            (void);
void          _kf_transcript_add            (gcry_md_hd_t            transcript,
                                             const guint8           *tag);

void          _kf_transfer_tell_cancel      (KfPeerLink             *link,
                                             const GError           *why);
GError       *_kf_transfer_peer_cancelled   (const guint8           *reason,
                                             gsize                   len);
GError       *_kf_transfer_unexpected       (guint8                  type);
void          _kf_transfer_digest_hex       (gcry_md_hd_t            md,
                                             char                    out[65]);

G_END_DECLS
