export async function runFaults(print: (line: string) => void): Promise<{ name: string; ok: boolean; detail?: string }[]> {
  print('faults: not yet');
  return [];
}
