/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-client.h"
#include "kf-cli-output.h"
#include "kf-transfer.h"

G_BEGIN_DECLS

char      *kf_cli_describe_tree_offer  (KfOffer                  *offer);
char      *kf_cli_describe_files_progress (gboolean               sending,
                                        const KfTransferProgress *progress);
void       kf_cli_report_landed        (KfClient                 *client,
                                        const KfTransferFileResult *file);
void       kf_cli_json_files           (KfCliJson                *json,
                                        KfOutcome                *outcome);
void       kf_cli_report_files         (KfOutcome                *outcome);
GPtrArray *kf_cli_parse_paths          (const char               *line,
                                        GError                  **error);

G_END_DECLS
