/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KF_TRANSFER_ERROR (kf_transfer_error_quark ())

/* Everything that can end a peer link or a transfer early.  Local
 * cancellation is G_IO_ERROR_CANCELLED, as everywhere in GIO;
 * KF_TRANSFER_ERROR_CANCELLED means the *other* side cancelled. */
typedef enum
{
  KF_TRANSFER_ERROR_DECLINED,   /* the receiver said no */
  KF_TRANSFER_ERROR_CANCELLED,  /* the peer cancelled */
  KF_TRANSFER_ERROR_PEER_GONE,  /* the connection was lost */
  KF_TRANSFER_ERROR_BAD_MAC,    /* a record failed authentication */
  KF_TRANSFER_ERROR_TRUNCATED,  /* the stream ended inside a record or the data */
  KF_TRANSFER_ERROR_ORDER,      /* a record out of order, duplicated or replayed */
  KF_TRANSFER_ERROR_NAME,       /* the offered file name is unusable */
  KF_TRANSFER_ERROR_EXISTS,     /* the destination exists, overwrite not allowed */
  KF_TRANSFER_ERROR_NO_SPACE,   /* not enough free space for the file */
  KF_TRANSFER_ERROR_IO,         /* reading or writing a local file failed */
  KF_TRANSFER_ERROR_PROTOCOL,   /* an authentic but malformed or unexpected record */
  KF_TRANSFER_ERROR_HANDSHAKE,  /* the peer could not prove it holds the session key */
  KF_TRANSFER_ERROR_TIMEOUT,    /* the handshake deadline passed */
} KfTransferError;

GQuark kf_transfer_error_quark (void);

G_END_DECLS
