import JSZip from 'jszip';
import { PDFDocument, StandardFonts } from 'pdf-lib';

/** Real files of each format, made in the test (no binary fixtures in the repo). */

/** A PDF with one text page per entry (`null` makes a page with no text, like a scan). */
export async function makePdf(pages: (string | null)[], title?: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  if (title) pdf.setTitle(title);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const text of pages) {
    const page = pdf.addPage([612, 792]);
    if (text === null) {
      page.drawRectangle({ x: 50, y: 50, width: 500, height: 600 });
      continue;
    }
    text.split('\n').forEach((line, i) => {
      page.drawText(line, { x: 50, y: 740 - i * 16, size: 12, font });
    });
  }
  return pdf.save();
}

/** A minimal DOCX: paragraphs, with `# ` / `## ` lines as Word's Heading 1 / Heading 2 styles. */
export async function makeDocx(lines: string[]): Promise<Uint8Array> {
  const xml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const body = lines
    .map((line) => {
      const heading = /^(#{1,2}) (.*)$/.exec(line);
      const style = heading ? `<w:pPr><w:pStyle w:val="Heading${(heading[1] as string).length}"/></w:pPr>` : '';
      return `<w:p>${style}<w:r><w:t xml:space="preserve">${xml(heading ? (heading[2] as string) : line)}</w:t></w:r></w:p>`;
    })
    .join('');
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  );
  zip.file(
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
  );
  zip.file(
    'word/document.xml',
    `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: 'uint8array' });
}

export const HTML_PAGE = `<!doctype html>
<html><head><title>Incident response runbook</title><script>window.tracking = true;</script></head>
<body>
  <header><nav><a href="/">Home</a> <a href="/pricing">Pricing banner navigation link</a></nav></header>
  <main><article>
    <h1>Incident response runbook</h1>
    <p>This runbook explains what the on-call engineer does when an incident is declared at any hour of the day or night.</p>
    <h2>Declaring an incident</h2>
    <p>Declare an incident in the #incidents channel with the severity and a one-line summary of the customer impact.</p>
    <p>The incident commander assigns a scribe, who keeps the timeline of every action and decision in the incident document.</p>
    <h2>Closing an incident</h2>
    <p>Close the incident once the graphs have been normal for thirty minutes and write the postmortem within five working days.</p>
  </article></main>
  <footer>Copyright footer text that should not be indexed</footer>
</body></html>`;
