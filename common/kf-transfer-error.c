/* kf-transfer-error.c: the error domain of the peer link and the transfer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kf-transfer-error.h"

G_DEFINE_QUARK (kf-transfer-error-quark, kf_transfer_error)
