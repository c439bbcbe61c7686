/** Talk-time share per speaker as a donut chart (recharts), with a text legend for screen readers. */
import { Cell, Pie, PieChart, ResponsiveContainer, Tooltip } from 'recharts';

import { formatClock, type Lane } from '../timeline-model.ts';

export function TalkShare({ lanes, talk }: { lanes: Lane[]; talk: Map<string, number> }): React.JSX.Element {
  const data = lanes.map((l) => ({
    name: l.label,
    value: Math.round((talk.get(l.speakerId) ?? 0) * 10) / 10,
    color: l.color,
  }));
  const total = data.reduce((s, d) => s + d.value, 0) || 1;
  return (
    <div className="talkshare" data-testid="talk-share">
      <div className="talkshare-chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={160}>
          <PieChart>
            <Pie
              data={data}
              dataKey="value"
              nameKey="name"
              innerRadius={42}
              outerRadius={70}
              isAnimationActive={false}
              stroke="none"
            >
              {data.map((d) => (
                <Cell key={d.name} fill={d.color} />
              ))}
            </Pie>
            <Tooltip formatter={(v) => `${formatClock(Number(v))}`} />
          </PieChart>
        </ResponsiveContainer>
      </div>
      <ul className="legend">
        {data.map((d) => (
          <li key={d.name}>
            <span className="swatch" style={{ background: d.color }} />
            {d.name} <strong>{Math.round((100 * d.value) / total)}%</strong>{' '}
            <span className="muted">{formatClock(d.value)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
