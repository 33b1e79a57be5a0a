// wal verify: reads a member's Raft WAL offline (the member may be stopped or running; nothing
// is written), checks every record's CRC-32C and the log's sequence rules, and prints the
// records. Exit 1 when a segment is damaged (the member would refuse to start); a torn tail
// (the unsynced end a crash cut, which the member's next start cuts) is reported, exit 0.
import type { Command } from 'commander';
import { verifyWal, type WalRecord, type WalVerifyReport } from '@kite/server';
import { EXIT_ERROR, EXIT_OK } from '../errors.js';
import { parseOutputFormat } from '../flags.js';
import { plain } from '../run.js';
import { print } from '../context.js';
import { json } from '../output/format-kv.js';

function describeRecord(r: WalRecord): string {
  switch (r.type) {
    case 'entry':
      return `entry index=${r.entry.index} term=${r.entry.term} type=${r.entry.type} bytes=${r.entry.data.length}`;
    case 'hardState':
      return `hardState term=${r.hardState.term} vote=${r.hardState.vote ?? '-'} commit=${r.hardState.commit}`;
    case 'snapshot': {
      const md = r.snapshot.metadata;
      return `snapshot index=${md.index} term=${md.term} voters=${md.confState.voters.join(',') || '-'} learners=${md.confState.learners.join(',') || '-'}${r.replacesLog ? ' replacesLog' : ''}`;
    }
    case 'compact':
      return `compact index=${r.index}`;
    case 'identity':
      return `identity cluster=${r.identity.clusterId} member=${r.identity.memberId} name=${r.identity.name}`;
  }
}

function asJson(report: WalVerifyReport): unknown {
  return {
    walDir: report.walDir,
    ok: report.corruption.length === 0,
    segments: report.segments,
    records: report.records.map(({ file, offset, record }) => {
      if (record.type === 'entry') return { file, offset, type: 'entry', index: record.entry.index, term: record.entry.term, entryType: record.entry.type, bytes: record.entry.data.length };
      if (record.type === 'snapshot') return { file, offset, type: 'snapshot', metadata: record.snapshot.metadata, replacesLog: record.replacesLog };
      return { file, offset, ...record };
    }),
    torn: report.torn,
    corruption: report.corruption,
  };
}

export function registerWal(program: Command): void {
  const wal = program.command('wal').description('inspect a member\'s Raft write-ahead log offline');
  wal.command('verify')
    .description('check every record\'s CRC in DATA_DIR/wal and print the records (exit 1 if damaged)')
    .requiredOption('--data-dir <dir>', 'the member\'s data dir (the one given to kite server)')
    .option('-w, --write-out <format>', 'simple or json', 'simple')
    .action(async (f: { dataDir: string; writeOut: string }) => plain(async () => {
      const format = parseOutputFormat(f.writeOut);
      const report = verifyWal(f.dataDir);
      if (format === 'json') {
        print(json(asJson(report)));
      } else {
        for (const { file, offset, record } of report.records) print(`${file.slice(file.lastIndexOf('/') + 1)}@${offset} ${describeRecord(record)}\n`);
        const entries = report.records.filter((r) => r.record.type === 'entry').length;
        print(`${report.segments.length} segment(s), ${report.records.length} records (${entries} entries), every CRC checked\n`);
        if (report.torn !== null) print(`torn tail: ${report.torn.bytes} bytes at offset ${report.torn.offset} of ${report.torn.path} (${report.torn.why}); the member's next start cuts it\n`);
      }
      for (const c of report.corruption) process.stderr.write(`damaged: ${c.file} at offset ${c.offset}: ${c.why}\n`);
      if (report.corruption.length > 0) {
        process.stderr.write('The member refuses to start on this data dir. Recover it: `kite member remove <its id>` against a healthy member, delete the data dir, `kite member add`, then start it with --initial-cluster-state existing.\n');
        return EXIT_ERROR;
      }
      return EXIT_OK;
    }));
}
